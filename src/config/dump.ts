import { Document, isScalar, isSeq, visit } from 'yaml';
import type { ExperimentConfig } from './schema.js';

/**
 * The resolved config as YAML, every default spelt out, so a run's config.yaml alone says how it
 * was trained and parseConfigText reads it back to the same object.
 */
export function dumpConfig(config: ExperimentConfig): string {
  const doc = new Document(config);
  // Short lists of numbers (betas, milestones) read better on one line.
  visit(doc, {
    Seq(_, node) {
      if (isSeq(node) && node.items.every((i) => isScalar(i))) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
