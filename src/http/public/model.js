// The dashboard's shared model: the last snapshot and what arrived live since.
export const ctx = {
  /** the last `GET /api/state` */
  state: undefined,
  /** `GET /api/previews` */
  previews: { previews: [] },
  liveFills: [],
  liveAudit: [],
  liveDecisions: [],
  /** keys of rows that arrived live (briefly highlighted) */
  fresh: new Set(),
};
