export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

/** A resume that would not continue the run: another model, a config changed in a way that alters results. */
export class ResumeError extends Error {
  override name = 'ResumeError';
}
