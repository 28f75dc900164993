import type { Row } from '../../../src/core/dialect';

/**
 * A probe connection whose every statement `answer` scripts; a multi-statement query gets each
 * statement's rows in order, as mysql2 returns them, and fails at the first statement that throws,
 * as the server stops there. `asked` lists the statements, whitespace folded.
 */
export function scriptedMysqlRun(answer: (statement: string) => readonly Row[]) {
  const asked: string[] = [];
  const run = async (sql: string): Promise<readonly Row[]> => {
    const statements = sql.split(';').map((s) => s.replace(/\s+/g, ' ').trim());
    asked.push(...statements);
    if (statements.length === 1) return answer(statements[0] as string);
    return statements.map(answer) as unknown as Row[];
  };
  return { run, asked };
}
