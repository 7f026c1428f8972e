/** The BrokerPort conformance suite on the TWS backend (IbBroker over the socket simulator). */
import { twsBackend } from './backends.js';
import { describeConformance } from './broker-conformance.js';

describeConformance('tws', twsBackend);
