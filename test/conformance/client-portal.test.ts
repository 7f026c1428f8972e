/** The BrokerPort conformance suite on the Client Portal backend (CpBroker over HTTPS to cp-sim, pinned certificate). */
import { cpBackend } from './backends.js';
import { describeConformance } from './broker-conformance.js';

describeConformance('client-portal', cpBackend);
