/** The baseline of `npm run bench:types`: the package imported, nothing typed. */
import * as wg from "../../src/index.js";

export const x = wg.zeros([2, 3]);
