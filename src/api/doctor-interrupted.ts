/**
 * `idem doctor`'s check of the progress journal (src/runner/progress-journal.ts):
 * migrations a run stopped in the middle of where DDL commits as it goes, and
 * whether `idem up` will resume them or, their file having changed since,
 * judge them again from the first operation.
 */
import { ProgressJournal } from '../runner/progress-journal.ts';
import type { DoctorFinding } from './doctor.ts';
import type { Database, Project } from './project.ts';

export async function checkInterrupted(db: Database, project: Project | undefined): Promise<DoctorFinding[]> {
  const journal = new ProgressJournal(db.session);
  await journal.load({ create: false });
  const interrupted = journal.interrupted();
  if (interrupted.length === 0) return [{ check: 'interrupted', level: 'ok', message: 'no migration was left half-done' }];
  return interrupted.map((entry) => {
    const file = project?.files.get(entry.revision);
    const stale = file !== undefined && file.checksum !== entry.checksum;
    const rerun = entry.direction === 'up' ? 'idem up' : 'the interrupted `idem down` again';
    const where = `${entry.revision} (${entry.direction}) stopped after ${entry.done.length} operation(s), the last \`${entry.done.at(-1) ?? 'none'}\`, at ${entry.updatedAt}`;
    return stale
      ? {
        check: 'interrupted', level: 'warning', data: { ...entry },
        message: `${where}; its file changed since, so the next run judges every operation again against the database`,
        fix: `${rerun}; should an operation then meet what a later one of the same migration did, fix that by hand first`,
      }
      : {
        check: 'interrupted', level: 'info', data: { ...entry },
        message: `${where}; the next run resumes after them`, fix: rerun,
      };
  });
}
