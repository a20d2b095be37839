export { errorChain, findInChain, isSqlState, sqlStateOf } from './error-chain';
export { type Alignment, formatCount, renderTable } from './format';
export { deepFreeze } from './freeze';
export { type CursorValue, decodeCursor, encodeCursor } from './keyset-cursor';
export { packageRoot, packageVersion } from './package-info';
export { quoteIdent } from './quote-ident';
export { sleep } from './sleep';
