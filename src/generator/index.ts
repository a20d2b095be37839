export { generateDataset } from './generate';
export { Prng } from './prng';
