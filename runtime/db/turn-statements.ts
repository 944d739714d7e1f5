/**
 * Statements that must take turns by a key on PostgreSQL, in one round trip.
 *
 * A statement that counts rows and inserts one only while the count is under a cap is exact on SQLite,
 * which runs one statement at a time. PostgreSQL runs two such statements side by side, each counting
 * without the other's uncommitted row, so both can pass a cap of one. Taking an advisory lock on the key
 * first makes them take turns, but the lock and the statement must not share a snapshot: under READ
 * COMMITTED a statement sees what was committed when it started, so a lock taken inside it would be
 * waited for and the count would still miss the row committed meanwhile. A transaction of its own
 * (begin, lock, statement, commit) costs four round trips.
 *
 * Here the statement becomes a PL/pgSQL function (volatile: each of its statements takes a fresh
 * snapshot) that takes the lock, then runs the statement unchanged; the caller runs one `select` with
 * the same parameters. The function is (re)created with the table, under the schema lock.
 */
import { type Kysely, sql } from 'kysely'
import { isPostgres } from './schema-lock.ts'
import type { CompiledShape } from './statement-shapes.ts'

export interface TurnStatement {
  /** The function's name: unique in the database, for one statement of one table. */
  readonly name: string
  /** The statement, as `compileShape` built it: its `$n` are the function's parameters. */
  readonly shape: CompiledShape
  /** The value (an index of the values a call passes) whose text names the turn: same value, one at a time. */
  readonly keyValue: number
  /** The columns the statement returns (its RETURNING) and their PostgreSQL types. */
  readonly returns: Readonly<Record<string, string>>
}

/**
 * The shape that runs `statement` in its turn: the same parameters, so `bindShape(callShape, values)`
 * binds it as it would bind the statement itself.
 *
 * @example
 * const insert = turnCallShape({ name: 'jit_notes_insert_capped', shape, keyValue: 0, returns: { id: 'bigint' } })
 * const { rows } = await database.runCompiled(insert.sql, bindShape(insert, [owner, text, cap]))
 */
export function turnCallShape(statement: TurnStatement): CompiledShape {
  const columns = Object.keys(statement.returns).map(quoteIdentifier).join(', ')
  const placeholders = statement.shape.parameters.map((_, i) => `$${i + 1}`).join(', ')
  return {
    sql: `select ${columns} from ${quoteIdentifier(statement.name)}(${placeholders})`,
    parameters: statement.shape.parameters,
  }
}

/**
 * The shape to run for `statement` on `db`'s dialect: on PostgreSQL the call of its function
 * (`turnCallShape`), on SQLite the statement itself (one statement runs at a time there).
 *
 * @example
 * const insert = inTurns(db, { name: 'jit_notes_insert_capped', shape, keyValue: 0, returns: { id: 'bigint' } })
 */
export function inTurns(db: Kysely<any>, statement: TurnStatement): CompiledShape {
  return isPostgres(db) ? turnCallShape(statement) : statement.shape
}

/**
 * Creates or replaces the function of `statement` on PostgreSQL; on SQLite there is none to make. Its parameter types are those the
 * server infers for the statement's own parameters: the function takes exactly what the statement took.
 * Run it under the schema lock (`withSchemaChangeLock`): two nodes replacing one function at once fail.
 */
export async function createTurnFunction(db: Kysely<any>, statement: TurnStatement): Promise<void> {
  if (!isPostgres(db)) return
  const keyParameter = statement.shape.parameters.indexOf(statement.keyValue)
  if (keyParameter < 0) {
    throw new Error(`${statement.name}: value ${statement.keyValue} is not a parameter of the statement`)
  }
  const types = await parameterTypesOf(db, statement.shape.sql)
  const returns = Object.entries(statement.returns)
    .map(([column, type]) => `${quoteIdentifier(column)} ${type}`)
    .join(', ')
  const body = [
    // The returned columns are also OUT variables: in the statement, a name is the table's column.
    '#variable_conflict use_column',
    'begin',
    `  perform pg_advisory_xact_lock(hashtext($${keyParameter + 1}::text));`,
    `  return query ${statement.shape.sql};`,
    'end',
  ].join('\n')
  await sql
    .raw(
      `create or replace function ${quoteIdentifier(statement.name)}(${types.join(', ')}) ` +
        `returns table (${returns}) language plpgsql volatile as ${dollarQuoted(body)}`,
    )
    .execute(db)
}

/** The types PostgreSQL infers for the parameters of `statementSql`, in order, by preparing it. */
async function parameterTypesOf(db: Kysely<any>, statementSql: string): Promise<string[]> {
  // One connection for the three statements (a prepared statement lives in its session): a
  // transaction's own, or one taken from the pool.
  const probe = async (connection: Kysely<any>) => {
    await sql.raw(`prepare jit_turn_probe as ${statementSql}`).execute(connection)
    try {
      const { rows } = await sql<{ type: string }>`
        select t.type::text as type
        from pg_prepared_statements, unnest(parameter_types) with ordinality as t(type, n)
        where name = 'jit_turn_probe' order by t.n`.execute(connection)
      return rows.map((row) => row.type)
    } finally {
      await sql.raw('deallocate jit_turn_probe').execute(connection)
    }
  }
  return db.isTransaction ? probe(db) : db.connection().execute(probe)
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** `text` between dollar quotes whose tag it does not contain. */
function dollarQuoted(text: string): string {
  let tag = 'jit'
  while (text.includes(`$${tag}$`)) tag += '_'
  return `$${tag}$${text}$${tag}$`
}
