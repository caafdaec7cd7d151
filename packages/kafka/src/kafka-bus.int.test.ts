import { testBus } from '@wikipulse/testing/vitest';
import { describeBusContract } from './testing/contract.js';

describeBusContract('Kafka on a real broker', () => testBus());
