import { z } from 'zod';
import { BACKEND_NAMES } from '../backend/names.js';
import { DATASET_CLASSES, DATASET_NAMES } from '../data/index.js';
import { OPTIMIZER_TYPES } from '../engine/optimizer.js';
import { SCHEDULE_TYPES } from '../engine/schedule.js';
import { modelDocObject, modelSchema } from './model_section.js';
import { inSchemaOrder } from './schema_keys.js';

/**
 * The experiment config. Every object is strict so a misspelt key fails loudly instead of being
 * silently ignored; every key but model.name has a default, so a config states only what it changes.
 * The descriptions are the user documentation: they end up in configs/schema.json, which editors show.
 */

const count = (min: number) => z.number().int().min(min);

export const augmentSchema = z
  .strictObject({
    crop_padding: count(0).default(4).describe('Random crop after zero-padding each side by this many pixels; 0 = no crop.'),
    hflip: z.boolean().default(true).describe('Random horizontal flip with probability 0.5.'),
    cutout: count(0).default(0).describe('Side of the Cutout square (DeVries & Taylor); 0 = off. archai uses 16.'),
    normalize: z.boolean().default(true).describe("Standardise by the dataset's per-channel mean and std (train and test)."),
  })
  .describe('Training-time augmentation; the test set is only normalised.');

export const syntheticSchema = z
  .strictObject({
    train_size: count(1).default(1024).describe('Training images of the synthetic set.'),
    test_size: count(1).default(256).describe('Test images of the synthetic set.'),
    num_classes: count(1).optional().describe('Classes of the synthetic set; default model.num_classes, and must equal it.'),
  })
  .describe('The synthetic dataset: random 32x32 RGB images with learnable labels, for smoke tests without downloads.');

export const dataSchema = z
  .strictObject({
    dataset: z.enum(DATASET_NAMES).default('cifar10'),
    root: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Folder of the dataset's files. A relative path resolves against the folder of the config file that sets it " +
          '(against the working directory when set by --set); default data/<dataset> under the working directory.',
      ),
    download: z
      .boolean()
      .default(false)
      .describe('Fetch the official archive into root, verify its checksum and unpack it when the files are missing.'),
    download_url: z.string().url().optional().describe('A mirror of the official archive; default the official URL.'),
    download_md5: z
      .string()
      .regex(/^[0-9a-f]{32}$/i, 'an MD5 is 32 hexadecimal digits')
      .optional()
      .describe("The mirror archive's MD5; default the official archive's (a mirror without one is not checked)."),
    batch_size: count(1).default(128).describe('Training batch size.'),
    eval_batch_size: count(1).optional().describe('Evaluation batch size; default batch_size.'),
    workers: count(0)
      .default(1)
      .describe('Worker threads that prepare (augment, normalise) batches ahead of the model; 0 = on the main thread.'),
    limit_train: count(0).default(0).describe('Use only the first N training records (quick runs); 0 = all.'),
    limit_test: count(0).default(0).describe('Use only the first N test records; 0 = all.'),
    val_split: z
      .number()
      .min(0)
      .max(0.5)
      .default(0)
      .describe(
        'Fraction of the training set held out for validation (seeded, class-stratified, never augmented), scored every epoch; ' +
          'when set, the best checkpoint is chosen by val_top1 and the test set is only reported. 0 = no validation split.',
      ),
    augment: augmentSchema.prefault({}),
    synthetic: syntheticSchema.prefault({}),
  })
  .describe('Dataset, loading and augmentation.');

export const optimizerSchema = z
  .strictObject({
    type: z.enum(OPTIMIZER_TYPES).default('sgd').describe('sgd uses momentum and nesterov; adam and adamw use betas and eps.'),
    lr: z.number().positive().default(0.2).describe('Base learning rate; the schedule and its warmup scale it.'),
    momentum: z.number().min(0).lt(1).default(0.9).describe('SGD momentum.'),
    nesterov: z.boolean().default(true).describe('SGD with Nesterov momentum.'),
    weight_decay: z
      .number()
      .min(0)
      .default(0.0001)
      .describe('L2 penalty added to the gradient (sgd, adam); decoupled weight decay for adamw. archai calls it decay.'),
    betas: z
      .tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)])
      .default([0.9, 0.999])
      .describe('Adam/AdamW moment decay rates.'),
    eps: z.number().positive().default(1e-8).describe('Adam/AdamW denominator epsilon.'),
  })
  .describe('Optimizer; keys that do not apply to the chosen type are ignored.');

export const scheduleSchema = z
  .strictObject({
    type: z
      .enum(SCHEDULE_TYPES)
      .default('cosine')
      .describe(
        'cosine: lr -> min_lr along half a cosine; step: x gamma every step_size epochs; multistep: x gamma at each milestone; ' +
          'linear: lr -> end_lr linearly; onecycle: up to max_lr for pct_start of the run, then down (PyTorch OneCycleLR); constant: lr throughout.',
      ),
    interval: z
      .enum(['step', 'epoch'])
      .default('step')
      .describe("How often the lr is updated: every optimizer step (the paper's cosine) or at each epoch's start (archai)."),
    warmup_epochs: z
      .number()
      .min(0)
      .default(0)
      .describe(
        'Epochs of linear warmup before the main schedule; 0 = none. The main schedule then runs over the remaining ' +
          'epochs - warmup_epochs, its epochs counted from the end of the warmup (milestones and step_size included), as archai does.',
      ),
    warmup_multiplier: z
      .number()
      .min(1)
      .default(1)
      .describe(
        "Warmup target, as in archai's GradualWarmupScheduler (confs: warmup: {multiplier, epochs}). 1: the lr rises " +
          'linearly from 0 to lr, the usual warmup. m > 1: it rises linearly from lr to lr*m, and the main schedule ' +
          "then starts from lr*m instead of lr (archai's Shake-Shake recipe: lr 0.01, m 4, 5 epochs, so a 0.04 peak).",
      ),
    min_lr: z.number().min(0).default(0).describe('cosine: the final lr (PyTorch eta_min).'),
    step_size: count(1).default(30).describe('step: epochs between decays.'),
    gamma: z.number().positive().default(0.1).describe('step, multistep: the decay factor.'),
    milestones: z
      .array(count(1))
      .default([])
      .describe('multistep: epochs (after warmup) at which the lr is multiplied by gamma; increasing.'),
    end_lr: z.number().min(0).default(0).describe('linear: the final lr.'),
    max_lr: z.number().positive().optional().describe('onecycle: the peak lr; default optimizer.lr.'),
    pct_start: z.number().gt(0).lt(1).default(0.3).describe('onecycle: fraction of the run spent rising to max_lr.'),
  })
  .describe('Learning-rate schedule, with an optional warmup in front.');

export const trainerSchema = z
  .strictObject({
    epochs: count(1).default(1800).describe('Training epochs, warmup included: the length the schedule spans.'),
    stop_after_epochs: count(1)
      .optional()
      .describe(
        'Stop (with a checkpoint) after this many epochs of a run whose schedule spans `epochs`; --resume with a larger value continues exactly. Default: epochs.',
      ),
    optimizer: optimizerSchema.prefault({}),
    schedule: scheduleSchema.prefault({}),
    label_smoothing: z.number().min(0).lt(1).default(0).describe('Label smoothing of the cross-entropy loss; 0 = off.'),
    grad_clip: z.number().min(0).default(0).describe('Clip gradients to this global L2 norm; 0 = off.'),
    micro_batch: count(0)
      .default(0)
      .describe(
        "Images per forward/backward pass; a larger batch is split and its gradients averaged (BatchNorm then uses each micro-batch's own statistics). 0 = auto: the whole batch, except on wasm where what its 4 GiB heap holds.",
      ),
    replicas: z
      .union([count(1), z.literal('auto')])
      .default('auto')
      .describe(
        "Data-parallel training replicas on the wasm and cpu backends: each batch is shared among this many threads, each with its own backend. BatchNorm is synchronised (statistics over the whole batch) and the shake draws are the whole batch's, so the step is the single-thread step up to float rounding; only when a share exceeds micro_batch does each micro-batch use its own statistics, as without replicas. 'auto' = one per core (1 on other backends); 1 = the main thread only. Evaluation always uses every core on wasm and cpu.",
      ),
    checkpoint_every: count(1).default(1).describe('Epochs between checkpoints.'),
    keep_checkpoints: count(0).default(3).describe('Periodic checkpoints kept besides the last and the best (the newest ones).'),
    eval_every: count(1).default(1).describe('Epochs between test-set evaluations (the last epoch is always evaluated).'),
    log_every: count(1).default(50).describe('Steps between plain progress lines when the output is not a terminal.'),
  })
  .describe('Training loop, optimizer and schedule.');

/** The config's object shape before cross-field checks and derived defaults; what the JSON Schema describes. */
export const experimentObject = z
  .strictObject({
    seed: count(0).default(7).describe('Seeds every random draw of the run: weights, shake coefficients, shuffling, augmentation.'),
    backend: z
      .enum(BACKEND_NAMES)
      .default('auto')
      .describe("TensorFlow.js backend; 'auto' takes the fastest one that loads on this machine (native GPU first, cpu last)."),
    model: modelSchema,
    data: dataSchema.prefault({}),
    trainer: trainerSchema.prefault({}),
  })
  .describe('An archai-ts experiment.');

type ExperimentInput = z.output<typeof experimentObject>;

function checkConsistency(c: ExperimentInput, ctx: z.RefinementCtx): void {
  const { dataset } = c.data;
  if (dataset !== 'synthetic' && c.model.num_classes !== DATASET_CLASSES[dataset]) {
    ctx.addIssue({
      code: 'custom',
      path: ['model', 'num_classes'],
      message: `${dataset} has ${DATASET_CLASSES[dataset]} classes but model.num_classes is ${c.model.num_classes}; set model.num_classes: ${DATASET_CLASSES[dataset]}`,
    });
  }
  const synthClasses = c.data.synthetic.num_classes;
  if (dataset === 'synthetic' && synthClasses !== undefined && synthClasses !== c.model.num_classes) {
    ctx.addIssue({
      code: 'custom',
      path: ['data', 'synthetic', 'num_classes'],
      message: `the synthetic set has ${synthClasses} classes but model.num_classes is ${c.model.num_classes}; make them equal (or drop data.synthetic.num_classes)`,
    });
  }
  const stop = c.trainer.stop_after_epochs;
  if (stop !== undefined && stop > c.trainer.epochs) {
    ctx.addIssue({
      code: 'custom',
      path: ['trainer', 'stop_after_epochs'],
      message: `stop_after_epochs (${stop}) is beyond trainer.epochs (${c.trainer.epochs}), the length of the schedule; make it at most ${c.trainer.epochs}`,
    });
  }
  const s = c.trainer.schedule;
  if (s.warmup_epochs >= c.trainer.epochs) {
    ctx.addIssue({
      code: 'custom',
      path: ['trainer', 'schedule', 'warmup_epochs'],
      message: `warmup_epochs (${s.warmup_epochs}) leaves no epochs of trainer.epochs (${c.trainer.epochs}) for the schedule; make it smaller`,
    });
  }
  if (s.type === 'multistep' && s.milestones.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['trainer', 'schedule', 'milestones'],
      message: 'a multistep schedule needs milestones, e.g. milestones: [60, 120, 160]',
    });
  }
  if (s.milestones.some((m, i) => i > 0 && m <= s.milestones[i - 1])) {
    ctx.addIssue({
      code: 'custom',
      path: ['trainer', 'schedule', 'milestones'],
      message: `milestones must increase, got [${s.milestones.join(', ')}]; sort them and drop repeats`,
    });
  }
}

/** Defaults that depend on other keys, filled in so the resolved config needs no further lookups. */
function fillDerived(c: ExperimentInput) {
  return inSchemaOrder(experimentObject, {
    ...c,
    data: {
      ...c.data,
      root: c.data.root ?? `data/${c.data.dataset}`,
      eval_batch_size: c.data.eval_batch_size ?? c.data.batch_size,
      synthetic: { ...c.data.synthetic, num_classes: c.data.synthetic.num_classes ?? c.model.num_classes },
    },
    trainer: {
      ...c.trainer,
      schedule: { ...c.trainer.schedule, max_lr: c.trainer.schedule.max_lr ?? c.trainer.optimizer.lr },
    },
  });
}

export const experimentSchema = experimentObject.superRefine(checkConsistency).transform(fillDerived);

/** A fully resolved experiment config: every default present. */
export type ExperimentConfig = z.infer<typeof experimentSchema>;

/** What a config file may hold: the experiment plus the keys naming the files it builds on. */
export const configFileObject = experimentObject
  .extend({
    // A base file need not name the model: the file that extends it does, and the loader checks the result.
    model: modelDocObject
      .partial()
      .optional()
      .describe(modelDocObject.description ?? ''),
    extends: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe('Config file(s) this one builds on, relative to this file; merged in order, then this file on top.'),
    __include__: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe("archai's spelling of extends; both may be given (extends first)."),
  })
  .describe('An archai-ts experiment config file (archai-ts train CONFIG).');
