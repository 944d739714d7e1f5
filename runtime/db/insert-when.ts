/**
 * An INSERT of one row that happens only while a condition holds, in one statement:
 * `insert into t (a, b) select cast($1 as type), cast($2 as type) where <condition>`. The condition may
 * count rows of the same table (a cap on live rows), which SQLite evaluates with the insert atomically;
 * on PostgreSQL wrap it in a turn function (turn-statements.ts) so that concurrent ones take turns.
 */
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely'

/** The column types a value may be cast to: PostgreSQL infers no type for a parameter in a SELECT list. */
export type InsertedType = 'varchar(16)' | 'varchar(255)' | 'text' | 'bigint'

/** Per column: the value (a `slot` while compiling a shape) and the type it is cast to. */
export type InsertedRow = Record<string, readonly [value: unknown, type: InsertedType]>

/**
 * The insert of `row` into `table` while `condition` holds; add `.returning(...)` and compile it.
 *
 * @example
 * const shape = compileShape(
 *   insertWhen(db, 'notes', { owner: [slot(0), 'varchar(255)'], body: [slot(1), 'text'] }, (eb) =>
 *     eb(db.selectFrom('notes').select((e) => e.fn.countAll().as('n')).where('owner', '=', slot(0)), '<', slot(2)),
 *   ).returning('id'),
 * )
 */
export function insertWhen(
  db: Kysely<any>,
  table: string,
  row: InsertedRow,
  condition: (eb: ExpressionBuilder<any, any>) => Expression<SqlBool>,
) {
  const columns = Object.keys(row)
  return db
    .insertInto(table)
    .columns(columns)
    .expression(
      db
        .selectNoFrom((eb) =>
          columns.map((column) => eb.cast(eb.val(row[column][0]), row[column][1]).as(column)),
        )
        .where(condition),
    )
}
