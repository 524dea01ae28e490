export { search, dumpSearchConfig, type SearchOptions, type SearchResult } from './search.js';
export { loadSearchConfig, parseSearchConfigText, trialConfig, type SearchConfig } from './config.js';
export { OBJECTIVES, OBJECTIVE_NAMES, LATENCY_BACKENDS, type Objective, type ObjectiveName, type Goal } from './objectives.js';
export { SearchSpace, type Point, type FamilyGrid } from './space.js';
export { dominates, paretoFronts, crowding, rank } from './pareto.js';
export type { TrialRow } from './state.js';
export type { FrontierRow } from './results.js';
