export { type DatasetStreamOptions, generateDataset, generateDatasetStream } from './generate';
export { Prng } from './prng';
