import { z } from 'zod';
import { ownRecord } from '../../schema/own-record.ts';

/**
 * Row policy parameters as the admin gives them for a test run: the same
 * shape an embed token's `params` claim has.
 */
export const queryParamsSchema = ownRecord(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain identifier'),
  z.union([z.string().max(500), z.number().finite(), z.boolean()]),
).default({});
