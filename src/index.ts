/**
 * idem's programmatic API: the same runner as the CLI, with structured
 * results and no console output or process.exit (pass `onEvent` to see the
 * run as it goes).
 *
 *   import { up } from 'idem';
 *   await up({ url: process.env.DATABASE_URL });
 */
export { up, type RunResult, type UpOptions } from './api/up.ts';
export { down, type DownOptions } from './api/down.ts';
export { plan, type PlanOptions, type PlanResult, type PlannedOperation } from './api/plan.ts';
export { schema, describeSchema, type SchemaResult, type SchemaDescription, type SchemaTable, type SchemaColumn, type SchemaIndex, type SchemaKey, type SchemaForeignKey } from './api/schema.ts';
export { verify, type VerifyOptions, type VerifyResult, type VerifyStep, type VerifyStepName, type VerifyDifference, type VerifyProgress, type VerifyError, type ScratchInfo } from './api/verify.ts';
export { lint, RULE_LEVELS, type LintOptions, type LintResult, type LintFinding, type LintNote, type LintLevel, type LintRule, type LintDialect } from './api/lint.ts';
export { status, type StatusResult, type RevisionInfo } from './api/status.ts';
export { doctor, type DoctorResult, type DoctorFinding, type DoctorCheck, type DoctorLevel } from './api/doctor.ts';
export { stamp, type StampResult } from './api/stamp.ts';
export { runFleet, readTargetsFile, type FleetOptions, type FleetResult, type TargetOutcome, type TargetCommand } from './api/fleet.ts';
export type { Project } from './api/project.ts';
export { newMigration, merge, type WrittenMigration } from './api/author.ts';
export type { IdemOptions } from './api/config.ts';
export { IdemError, isIdemError, type IdemErrorCode } from './errors.ts';
export type { IdemEvent, EventSink, OutcomeCounts, Direction } from './runner/events.ts';
export type { StepResult } from './runner/apply-steps.ts';
export type {
  MigrationContext, OperationResult, Outcome, Difference, ExecuteIfOptions, SqlOptions, DropOptions, TableSummary,
} from './plan/migration-context.ts';
export type {
  ColumnSpec, ColumnType, ColumnMap, DefaultValue, TableOptions, UniqueSpec, IndexSpec, ForeignKeySpec, ReferentialAction,
} from './plan/column-spec.ts';
