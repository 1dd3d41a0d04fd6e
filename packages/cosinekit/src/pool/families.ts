// The families (../families.ts) the pool's instances run: its calling thread's and its
// workers'. A pool does pairwise matrices and top-k, over float and quantised operands, and
// no losses; its module is the full one, so the storage formats are there.

import type { Families } from '../families.js';
import { STORAGE_FAMILY } from '../quantized.js';

export const POOL_FAMILIES: Families = Object.freeze({ losses: null, storage: STORAGE_FAMILY });
