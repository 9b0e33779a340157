/**
 * The SQLite store (`node:sqlite`, WAL): one row per object, JSON text, and one global revision
 * counter kept in the same database so a restart resumes where it stopped. `:memory:` keeps
 * everything in memory for tests.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type {
  ChangeEvent,
  JsonObject,
  ListOptions,
  ObjectKey,
  Store,
  WriteResult,
} from "./types.ts";

interface Row {
  data: string;
  rv: number;
}

/** Opens (creating when missing) a store at `path`, or in memory for `:memory:`. */
export function openSqliteStore(path: string): Store {
  return new SqliteStore(path);
}

class SqliteStore implements Store {
  readonly #db: DatabaseSync;
  #revision: number;
  readonly #listeners = new Set<(event: ChangeEvent) => void>();
  readonly #get: StatementSync;
  readonly #insert: StatementSync;
  readonly #update: StatementSync;
  readonly #delete: StatementSync;
  readonly #setRevision: StatementSync;
  readonly #listAll: StatementSync;
  readonly #listNs: StatementSync;
  readonly #listAfter: StatementSync;
  readonly #listNsAfter: StatementSync;
  readonly #scan: StatementSync;
  readonly #getSetting: StatementSync;
  readonly #putSetting: StatementSync;
  readonly #deleteSetting: StatementSync;

  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    if (path !== ":memory:") {
      this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    }
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS objects (
        resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
        rv INTEGER NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (resource, namespace, name)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT OR IGNORE INTO settings (key, value) VALUES ('revision', '0');
    `);
    const db = this.#db;
    this.#get = db.prepare(
      "SELECT data, rv FROM objects WHERE resource = ? AND namespace = ? AND name = ?",
    );
    this.#insert = db.prepare(
      "INSERT INTO objects (resource, namespace, name, rv, data) VALUES (?, ?, ?, ?, ?)",
    );
    this.#update = db.prepare(
      "UPDATE objects SET rv = ?, data = ? WHERE resource = ? AND namespace = ? AND name = ?",
    );
    this.#delete = db.prepare(
      "DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?",
    );
    this.#setRevision = db.prepare("UPDATE settings SET value = ? WHERE key = 'revision'");
    const cols = "SELECT data, rv FROM objects WHERE resource = ?";
    const order = "ORDER BY namespace, name";
    this.#listAll = db.prepare(`${cols} ${order}`);
    this.#listNs = db.prepare(`${cols} AND namespace = ? ${order}`);
    this.#listAfter = db.prepare(`${cols} AND (namespace, name) > (?, ?) ${order}`);
    this.#listNsAfter = db.prepare(`${cols} AND namespace = ? AND name > ? ${order}`);
    this.#scan = db.prepare("SELECT resource, data, rv FROM objects WHERE instr(data, ?) > 0");
    this.#getSetting = db.prepare("SELECT value FROM settings WHERE key = ?");
    this.#putSetting = db.prepare(
      "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = ?",
    );
    this.#deleteSetting = db.prepare("DELETE FROM settings WHERE key = ?");
    this.#revision = Number(this.getSetting("revision") ?? "0");
  }

  revision(): number {
    return this.#revision;
  }

  get(key: ObjectKey): JsonObject | undefined {
    const row = this.#get.get(key.resource, key.namespace, key.name) as Row | undefined;
    return row === undefined ? undefined : decode(row);
  }

  *list(resource: string, options: ListOptions = {}): Iterable<JsonObject> {
    const { namespace, after } = options;
    let rows: Row[];
    if (namespace !== undefined && namespace !== "") {
      rows = (after === undefined
        ? this.#listNs.all(resource, namespace)
        : this.#listNsAfter.all(resource, namespace, after.name)) as unknown as Row[];
    } else {
      rows = (after === undefined
        ? this.#listAll.all(resource)
        : this.#listAfter.all(resource, after.namespace, after.name)) as unknown as Row[];
    }
    for (const row of rows) yield decode(row);
  }

  *scan(needle: string): Iterable<{ resource: string; object: JsonObject }> {
    const rows = this.#scan.all(needle) as unknown as (Row & { resource: string })[];
    for (const row of rows) yield { resource: row.resource, object: decode(row) };
  }

  create(key: ObjectKey, object: JsonObject): WriteResult {
    if (this.#get.get(key.resource, key.namespace, key.name) !== undefined) {
      return { ok: false, reason: "exists" };
    }
    return this.#write("ADDED", key, object, (data) => {
      this.#insert.run(key.resource, key.namespace, key.name, this.#revision + 1, data);
    });
  }

  update(key: ObjectKey, object: JsonObject, expectRevision?: number): WriteResult {
    const row = this.#get.get(key.resource, key.namespace, key.name) as Row | undefined;
    if (row === undefined) return { ok: false, reason: "not-found" };
    if (expectRevision !== undefined && row.rv !== expectRevision) {
      return { ok: false, reason: "conflict" };
    }
    let previous: JsonObject | undefined;
    const before = () => previous ??= decode(row);
    return this.#write(
      "MODIFIED",
      key,
      object,
      (data) => {
        this.#update.run(this.#revision + 1, data, key.resource, key.namespace, key.name);
      },
      undefined,
      before,
    );
  }

  remove(key: ObjectKey, expectRevision?: number): WriteResult {
    const row = this.#get.get(key.resource, key.namespace, key.name) as Row | undefined;
    if (row === undefined) return { ok: false, reason: "not-found" };
    if (expectRevision !== undefined && row.rv !== expectRevision) {
      return { ok: false, reason: "conflict" };
    }
    const object = decode(row);
    return this.#write("DELETED", key, object, () => {
      this.#delete.run(key.resource, key.namespace, key.name);
    }, row.data.length);
  }

  getSetting(key: string): string | undefined {
    const row = this.#getSetting.get(key) as { value: string } | undefined;
    return row?.value;
  }

  setSetting(key: string, value: string | undefined): void {
    if (value === undefined) this.#deleteSetting.run(key);
    else this.#putSetting.run(key, value, value);
  }

  subscribe(listener: (event: ChangeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#listeners.clear();
    if (this.#db.isOpen) this.#db.close();
  }

  #write(
    type: ChangeEvent["type"],
    key: ObjectKey,
    object: JsonObject,
    apply: (data: string) => void,
    size?: number,
    previous?: () => JsonObject,
  ): WriteResult {
    const revision = this.#revision + 1;
    setResourceVersion(object, revision);
    const data = size === undefined ? JSON.stringify(object) : "";
    this.#db.exec("BEGIN");
    try {
      apply(data);
      this.#setRevision.run(String(revision));
      this.#db.exec("COMMIT");
    } catch (e) {
      this.#db.exec("ROLLBACK");
      throw e;
    }
    this.#revision = revision;
    const event: ChangeEvent = { type, ...key, revision, object, size: size ?? data.length };
    if (previous !== undefined) event.previous = previous;
    for (const listener of this.#listeners) listener(event);
    return { ok: true, revision, object };
  }
}

function decode(row: Row): JsonObject {
  const object = JSON.parse(row.data) as JsonObject;
  setResourceVersion(object, row.rv);
  return object;
}

function setResourceVersion(object: JsonObject, revision: number): void {
  const metadata = object.metadata;
  if (metadata !== null && typeof metadata === "object" && !Array.isArray(metadata)) {
    metadata.resourceVersion = String(revision);
  } else {
    object.metadata = { resourceVersion: String(revision) };
  }
}
