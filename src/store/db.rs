//! One connection API over both databases: the table files write their SQL
//! once, in the dialect SQLite and PostgreSQL share, and call the methods
//! here (shaped like rusqlite's, which they used before). PostgreSQL gets
//! the statement with its placeholders and the few spellings that differ
//! translated once per connection (`translate`), its values converted to
//! whatever type the server inferred for each parameter, and its writers
//! serialised by one advisory lock, so every process sees the single-writer
//! world SQLite gives (no lost update, no slug taken twice).

use r2d2_sqlite::SqliteConnectionManager;
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;

use super::postgres::Changes;

/// The advisory lock every PostgreSQL write transaction holds: one writer
/// at a time across every pressfeed process, as with SQLite.
pub(super) const WRITE_LOCK: i64 = 0x7072_6573_7366_6565; // "pressfee"

/// The advisory lock of the WebSub hub's write transactions.
const HUB_LOCK: i64 = WRITE_LOCK + 1;

/// Statements kept prepared per PostgreSQL connection; the table files
/// have about 300, dynamic filters add a few.
const PG_CACHE: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Sqlite(rusqlite::Error),
    #[error("{}", pg_message(.0))]
    Postgres(#[from] tokio_postgres::Error),
    #[error("the query returned no rows")]
    NoRows,
    #[error("column {column}: {message}")]
    Conversion { column: usize, message: String },
}

fn pg_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => Error::NoRows,
            e => Error::Sqlite(e),
        }
    }
}

impl Error {
    /// A UNIQUE constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Error::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
                f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            }
            Error::Postgres(e) => {
                e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
            }
            _ => false,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `.optional()` on a single-row query, as rusqlite's extension has it.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A parameter value, borrowed where it can be.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(Cow<'a, str>),
    Blob(Cow<'a, [u8]>),
}

impl From<i64> for Value<'static> {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<String> for Value<'static> {
    fn from(s: String) -> Self {
        Value::Text(Cow::Owned(s))
    }
}

pub trait ToValue {
    fn to_value(&self) -> Value<'_>;
}

macro_rules! int_values {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value<'_> {
                Value::Int(*self as i64)
            }
        }
    )*};
}
int_values!(i64, i32, i16, i8, u32, u16, u8, usize, u64);

impl ToValue for bool {
    fn to_value(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for f64 {
    fn to_value(&self) -> Value<'_> {
        Value::Real(*self)
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value<'_> {
        Value::Text(Cow::Borrowed(self))
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value<'_> {
        Value::Text(Cow::Borrowed(self))
    }
}
impl ToValue for Cow<'_, str> {
    fn to_value(&self) -> Value<'_> {
        Value::Text(Cow::Borrowed(self))
    }
}
impl ToValue for [u8] {
    fn to_value(&self) -> Value<'_> {
        Value::Blob(Cow::Borrowed(self))
    }
}
impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value<'_> {
        Value::Blob(Cow::Borrowed(self))
    }
}
impl<const N: usize> ToValue for [u8; N] {
    fn to_value(&self) -> Value<'_> {
        Value::Blob(Cow::Borrowed(self))
    }
}
impl ToValue for Value<'_> {
    fn to_value(&self) -> Value<'_> {
        match self {
            Value::Null => Value::Null,
            Value::Int(i) => Value::Int(*i),
            Value::Real(f) => Value::Real(*f),
            Value::Text(t) => Value::Text(Cow::Borrowed(t)),
            Value::Blob(b) => Value::Blob(Cow::Borrowed(b)),
        }
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value<'_> {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}
impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value<'_> {
        (**self).to_value()
    }
}

/// `params![a, b]`: the values of one statement, in order.
macro_rules! params {
    () => {
        [] as [$crate::store::db::Value<'_>; 0]
    };
    ($($x:expr),+ $(,)?) => {
        [$($crate::store::db::ToValue::to_value(&$x)),+]
    };
}
pub(crate) use params;

/// Values from an iterator (dynamic filters).
pub fn params_from_iter<'a, I, T>(values: I) -> Vec<Value<'a>>
where
    I: IntoIterator<Item = &'a T>,
    T: ToValue + 'a + ?Sized,
{
    values.into_iter().map(ToValue::to_value).collect()
}

/// Ids as the JSON array `json_each(?)` reads: how a statement takes a
/// list (one statement for a feed's releases instead of one per release,
/// which on PostgreSQL is a round trip each).
pub fn id_list(ids: impl IntoIterator<Item = i64>) -> String {
    let mut out = String::from("[");
    for (i, id) in ids.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&id.to_string());
    }
    out.push(']');
    out
}

/// What a statement's parameters can be given as: arrays of values
/// (`params![..]`, `[id]`, `[]`), slices and vectors.
pub trait Params {
    fn bind<R>(&self, f: impl FnOnce(&[Value<'_>]) -> R) -> R;
}

impl Params for [Value<'_>; 0] {
    fn bind<R>(&self, f: impl FnOnce(&[Value<'_>]) -> R) -> R {
        f(&[])
    }
}

macro_rules! array_params {
    ($($n:literal)*) => {$(
        impl<T: ToValue> Params for [T; $n] {
            fn bind<R>(&self, f: impl FnOnce(&[Value<'_>]) -> R) -> R {
                f(&self.each_ref().map(|v| v.to_value()))
            }
        }
        impl<T: ToValue> Params for &[T; $n] {
            fn bind<R>(&self, f: impl FnOnce(&[Value<'_>]) -> R) -> R {
                f(&self.each_ref().map(|v| v.to_value()))
            }
        }
    )*};
}
array_params!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20);

impl<T: ToValue> Params for &[T] {
    fn bind<R>(&self, f: impl FnOnce(&[Value<'_>]) -> R) -> R {
        let values: Vec<Value<'_>> = self.iter().map(ToValue::to_value).collect();
        f(&values)
    }
}

impl<T: ToValue> Params for Vec<T> {
    fn bind<R>(&self, f: impl FnOnce(&[Value<'_>]) -> R) -> R {
        self.as_slice().bind(f)
    }
}

impl<T: ToValue> Params for &Vec<T> {
    fn bind<R>(&self, f: impl FnOnce(&[Value<'_>]) -> R) -> R {
        self.as_slice().bind(f)
    }
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

/// The value converted to the type PostgreSQL inferred for the parameter:
/// SQLite's integers stand for PostgreSQL's int2/4/8 and booleans alike.
impl tokio_postgres::types::ToSql for Value<'_> {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<tokio_postgres::types::IsNull, BoxError> {
        use tokio_postgres::types::{IsNull, Type};
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => i.to_string().to_sql(ty, out),
                _ => Err(format!("an integer cannot be sent as {ty}").into()),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => Err(format!("a real cannot be sent as {ty}").into()),
            },
            Value::Text(t) => match *ty {
                Type::JSON => {
                    out.extend_from_slice(t.as_bytes());
                    Ok(IsNull::No)
                }
                Type::JSONB => {
                    out.extend_from_slice(&[1]);
                    out.extend_from_slice(t.as_bytes());
                    Ok(IsNull::No)
                }
                Type::INT8 => t.parse::<i64>()?.to_sql(ty, out),
                _ => t.as_ref().to_sql(ty, out),
            },
            Value::Blob(b) => b.as_ref().to_sql(ty, out),
        }
    }

    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

/// A column value as Rust wants it, from either database.
pub trait FromColumn: Sized {
    fn from_sqlite(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self>;
    fn from_pg(row: &tokio_postgres::Row, i: usize) -> Result<Self>;
}

fn conversion(i: usize, message: impl std::fmt::Display) -> Error {
    Error::Conversion {
        column: i,
        message: message.to_string(),
    }
}

fn pg_int(row: &tokio_postgres::Row, i: usize) -> Result<i64> {
    use tokio_postgres::types::Type;
    let ty = row.columns()[i].type_().clone();
    Ok(match ty {
        Type::INT8 => row.try_get::<_, i64>(i)?,
        Type::INT4 => i64::from(row.try_get::<_, i32>(i)?),
        Type::INT2 => i64::from(row.try_get::<_, i16>(i)?),
        Type::BOOL => i64::from(row.try_get::<_, bool>(i)?),
        other => return Err(conversion(i, format!("{other} is not an integer"))),
    })
}

macro_rules! int_columns {
    ($($t:ty),*) => {$(
        impl FromColumn for $t {
            fn from_sqlite(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
                let v: i64 = row.get(i)?;
                <$t>::try_from(v).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        i,
                        rusqlite::types::Type::Integer,
                        Box::new(e),
                    )
                })
            }
            fn from_pg(row: &tokio_postgres::Row, i: usize) -> Result<Self> {
                let v = pg_int(row, i)?;
                <$t>::try_from(v).map_err(|e| conversion(i, e))
            }
        }
    )*};
}
int_columns!(i64, i32, i16, u32, u16, u8, usize, u64);

impl FromColumn for bool {
    fn from_sqlite(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        row.get(i)
    }
    fn from_pg(row: &tokio_postgres::Row, i: usize) -> Result<Self> {
        Ok(pg_int(row, i)? != 0)
    }
}

impl FromColumn for f64 {
    fn from_sqlite(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        row.get(i)
    }
    fn from_pg(row: &tokio_postgres::Row, i: usize) -> Result<Self> {
        use tokio_postgres::types::Type;
        Ok(match *row.columns()[i].type_() {
            Type::FLOAT8 => row.try_get::<_, f64>(i)?,
            Type::FLOAT4 => f64::from(row.try_get::<_, f32>(i)?),
            _ => pg_int(row, i)? as f64,
        })
    }
}

impl FromColumn for String {
    fn from_sqlite(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        row.get(i)
    }
    fn from_pg(row: &tokio_postgres::Row, i: usize) -> Result<Self> {
        Ok(row.try_get::<_, String>(i)?)
    }
}

impl FromColumn for Vec<u8> {
    fn from_sqlite(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        row.get(i)
    }
    fn from_pg(row: &tokio_postgres::Row, i: usize) -> Result<Self> {
        Ok(row.try_get::<_, Vec<u8>>(i)?)
    }
}

/// Reads only whether a PostgreSQL column is NULL.
struct PgNull(bool);

impl<'a> tokio_postgres::types::FromSql<'a> for PgNull {
    fn from_sql(_: &tokio_postgres::types::Type, _: &'a [u8]) -> Result<Self, BoxError> {
        Ok(PgNull(false))
    }
    fn from_sql_null(_: &tokio_postgres::types::Type) -> Result<Self, BoxError> {
        Ok(PgNull(true))
    }
    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        true
    }
}

impl<T: FromColumn> FromColumn for Option<T> {
    fn from_sqlite(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        match row.get_ref(i)? {
            rusqlite::types::ValueRef::Null => Ok(None),
            _ => T::from_sqlite(row, i).map(Some),
        }
    }
    fn from_pg(row: &tokio_postgres::Row, i: usize) -> Result<Self> {
        if row.try_get::<_, PgNull>(i)?.0 {
            Ok(None)
        } else {
            T::from_pg(row, i).map(Some)
        }
    }
}

/// Column positions (rusqlite's `get::<_, T>(i)` spelling keeps working).
pub trait ColumnIndex {
    fn index(self) -> usize;
}
impl ColumnIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// One result row.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Pg(&'r tokio_postgres::Row),
}

impl Row<'_> {
    pub fn get<I: ColumnIndex, T: FromColumn>(&self, idx: I) -> Result<T> {
        let i = idx.index();
        match self {
            Row::Sqlite(r) => Ok(T::from_sqlite(r, i)?),
            Row::Pg(r) => T::from_pg(r, i),
        }
    }
}

/// A prepared PostgreSQL statement, and whether it writes.
#[derive(Clone)]
pub struct PgStatement {
    stmt: tokio_postgres::Statement,
    writes: bool,
}

/// A pooled PostgreSQL connection and the statements prepared on it.
pub struct PgConn {
    client: Arc<tokio_postgres::Client>,
    cache: RefCell<HashMap<String, PgStatement>>,
    changes: Arc<Changes>,
    /// Inside a write transaction: its commit tells `changes`, not each
    /// statement.
    writing: Cell<bool>,
    hub: bool,
    /// The server process serving this connection.
    pid: i32,
}

impl Drop for PgConn {
    fn drop(&mut self) {
        self.changes.release(self.pid);
    }
}

fn owned(values: &[Value<'_>]) -> Vec<Value<'static>> {
    values
        .iter()
        .map(|v| match v {
            Value::Null => Value::Null,
            Value::Int(i) => Value::Int(*i),
            Value::Real(f) => Value::Real(*f),
            // PostgreSQL text cannot hold NUL (SQLite's can): such a value
            // finds nothing, as in SQLite, instead of failing the query.
            Value::Text(t) if t.contains('\0') => {
                Value::Text(Cow::Owned(t.replace('\0', "\u{FFFD}")))
            }
            Value::Text(t) => Value::Text(Cow::Owned(t.to_string())),
            Value::Blob(b) => Value::Blob(Cow::Owned(b.to_vec())),
        })
        .collect()
}

fn sql_refs<'a>(
    values: &'a [Value<'static>],
) -> Vec<&'a (dyn tokio_postgres::types::ToSql + Sync)> {
    values
        .iter()
        .map(|v| v as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect()
}

impl PgConn {
    fn statement(&self, sql: &str) -> Result<PgStatement> {
        if let Some(s) = self.cache.borrow().get(sql) {
            return Ok(s.clone());
        }
        let stmt = self.prepare_once(sql)?;
        let mut cache = self.cache.borrow_mut();
        if cache.len() >= PG_CACHE {
            cache.clear();
        }
        cache.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }

    /// Prepares `sql` (translated) without keeping it.
    fn prepare_once(&self, sql: &str) -> Result<PgStatement> {
        let translated = translate(sql);
        let (client, text) = (Arc::clone(&self.client), translated.clone());
        let stmt = run(async move { client.prepare(&text).await }).inspect_err(|e| {
            tracing::error!(sql = %translated, error = %e, "PostgreSQL refused a statement");
        })?;
        let head = sql.trim_start().get(..6).unwrap_or("").to_ascii_uppercase();
        let writes = matches!(head.as_str(), "INSERT" | "UPDATE" | "DELETE");
        Ok(PgStatement { stmt, writes })
    }

    fn query(&self, stmt: &PgStatement, values: &[Value<'_>]) -> Result<Vec<tokio_postgres::Row>> {
        let (client, prepared, values) =
            (Arc::clone(&self.client), stmt.stmt.clone(), owned(values));
        let rows = run(async move { client.query(&prepared, &sql_refs(&values)).await })?;
        self.wrote(stmt);
        Ok(rows)
    }

    fn execute(&self, stmt: &PgStatement, values: &[Value<'_>]) -> Result<usize> {
        let (client, prepared, values) =
            (Arc::clone(&self.client), stmt.stmt.clone(), owned(values));
        let n = run(async move { client.execute(&prepared, &sql_refs(&values)).await })?;
        self.wrote(stmt);
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// A write outside a transaction committed when it returned.
    fn wrote(&self, stmt: &PgStatement) {
        if stmt.writes && !self.writing.get() && !self.hub {
            self.changes.committed();
        }
    }

    pub fn batch(&self, sql: &str) -> Result<()> {
        let (client, sql) = (Arc::clone(&self.client), sql.to_owned());
        Ok(run(async move { client.batch_execute(&sql).await })?)
    }
}

/// The one thread that drives every PostgreSQL connection of the process
/// (tokio-postgres is asynchronous; the store is not).
static PG_RUNTIME: std::sync::OnceLock<tokio::runtime::Handle> = std::sync::OnceLock::new();

fn pg_runtime() -> &'static tokio::runtime::Handle {
    PG_RUNTIME.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime for PostgreSQL can be built");
        let handle = rt.handle().clone();
        std::thread::Builder::new()
            .name("pressfeed-postgres".into())
            .spawn(move || rt.block_on(std::future::pending::<()>()))
            .expect("the PostgreSQL thread starts");
        handle
    })
}

/// Runs `work` on the PostgreSQL thread and waits for it. Blocking the
/// caller like a SQLite call does, and safe from any thread, an async
/// worker's included (unlike a nested `block_on`).
pub(super) fn run<T: Send + 'static>(work: impl Future<Output = T> + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    pg_runtime().spawn(async move {
        let _ = tx.send(work.await);
    });
    rx.recv()
        .expect("the PostgreSQL thread runs for the life of the process")
}

/// Runs `task` on the PostgreSQL thread without waiting for it.
pub(super) fn spawn_pg(task: impl Future<Output = ()> + Send + 'static) {
    pg_runtime().spawn(task);
}

/// Connects, the connection driven on the PostgreSQL thread.
pub(super) fn pg_connect(
    config: &tokio_postgres::Config,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let config = config.clone();
    run(async move {
        let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %Error::Postgres(e), "a PostgreSQL connection ended");
            }
        });
        Ok(client)
    })
}

/// r2d2's view of PostgreSQL connections (r2d2_postgres has no room for
/// the statement cache).
#[derive(Debug, Clone)]
pub struct PgManager {
    pub config: tokio_postgres::Config,
    pub changes: Arc<Changes>,
    /// The hub's connections: their commits move no version.
    pub hub: bool,
}

impl r2d2::ManageConnection for PgManager {
    type Connection = PgConn;
    type Error = tokio_postgres::Error;

    fn connect(&self) -> Result<PgConn, tokio_postgres::Error> {
        let client = Arc::new(pg_connect(&self.config)?);
        let setup = Arc::clone(&client);
        let hub = self.hub;
        let pid: i32 = run(async move {
            setup
                .batch_execute(super::postgres::session_setup(hub))
                .await?;
            Ok::<i32, tokio_postgres::Error>(
                setup
                    .query_one("SELECT pg_backend_pid()", &[])
                    .await?
                    .get(0),
            )
        })?;
        self.changes.adopt(pid);
        Ok(PgConn {
            client,
            cache: RefCell::new(HashMap::new()),
            changes: Arc::clone(&self.changes),
            writing: Cell::new(false),
            hub: self.hub,
            pid,
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), tokio_postgres::Error> {
        let client = Arc::clone(&conn.client);
        run(async move { client.simple_query("").await.map(|_| ()) })
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.client.is_closed()
    }
}

/// A connection to either database.
pub enum Conn {
    SqlitePooled(r2d2::PooledConnection<SqliteConnectionManager>),
    Sqlite(rusqlite::Connection),
    Pg(r2d2::PooledConnection<PgManager>),
}

impl Conn {
    /// The SQLite connection, for what only SQLite has (pragmas, FTS5).
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Conn::SqlitePooled(c) => Some(c),
            Conn::Sqlite(c) => Some(c),
            Conn::Pg(_) => None,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Conn::Pg(_))
    }

    pub fn prepare_cached(&self, sql: &str) -> Result<Stmt<'_>> {
        Ok(Stmt(match self {
            Conn::Pg(c) => StmtInner::Pg(c, c.statement(sql)?),
            _ => StmtInner::SqliteCached(self.sqlite_conn().prepare_cached(sql)?),
        }))
    }

    /// A full-text statement: cached on SQLite; on PostgreSQL prepared
    /// anew, so it is planned for the words searched (a reused statement
    /// gets a generic plan after five runs, which scans by key and tests
    /// every row: 18 ms instead of 2.5 ms for a word nobody wrote, 5,000
    /// releases).
    pub fn prepare_matching(&self, sql: &str) -> Result<Stmt<'_>> {
        match self {
            Conn::Pg(c) => Ok(Stmt(StmtInner::Pg(c, c.prepare_once(sql)?))),
            _ => self.prepare_cached(sql),
        }
    }

    /// A statement not kept for reuse (SQL built for one request).
    pub fn prepare(&self, sql: &str) -> Result<Stmt<'_>> {
        Ok(Stmt(match self {
            Conn::Pg(c) => StmtInner::Pg(c, c.statement(sql)?),
            _ => StmtInner::Sqlite(self.sqlite_conn().prepare(sql)?),
        }))
    }

    fn sqlite_conn(&self) -> &rusqlite::Connection {
        match self {
            Conn::SqlitePooled(c) => c,
            Conn::Sqlite(c) => c,
            Conn::Pg(_) => unreachable!("called only on SQLite connections"),
        }
    }

    pub fn query_row<T, P: Params, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// Several statements without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Conn::Pg(c) => c.batch(sql),
            _ => Ok(self.sqlite_conn().execute_batch(sql)?),
        }
    }

    /// A transaction that only reads: one consistent snapshot.
    pub fn begin_read(&self) -> Result<Tx<'_>> {
        self.execute_batch(match self {
            Conn::Pg(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            _ => "BEGIN DEFERRED",
        })?;
        Ok(Tx {
            conn: self,
            open: Cell::new(true),
        })
    }

    /// A transaction that writes: the only writer, in every process, until
    /// it ends.
    pub fn begin_write(&self) -> Result<Tx<'_>> {
        match self {
            Conn::Pg(c) => {
                // The hub's tables are its own: its writers queue behind
                // each other, not behind the newsroom's.
                let lock = if c.hub { HUB_LOCK } else { WRITE_LOCK };
                c.batch(&format!("BEGIN; SELECT pg_advisory_xact_lock({lock})"))?;
                c.writing.set(true);
            }
            _ => self.execute_batch("BEGIN IMMEDIATE")?,
        }
        Ok(Tx {
            conn: self,
            open: Cell::new(true),
        })
    }
}

/// An open transaction; rolled back when dropped uncommitted.
pub struct Tx<'c> {
    conn: &'c Conn,
    open: Cell<bool>,
}

impl Tx<'_> {
    pub fn commit(self) -> Result<()> {
        self.open.set(false);
        let done = self.conn.execute_batch("COMMIT");
        self.ended(done.is_ok());
        done
    }

    fn ended(&self, committed: bool) {
        if let Conn::Pg(c) = self.conn
            && c.writing.replace(false)
            && committed
            && !c.hub
        {
            c.changes.committed();
        }
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open.get() {
            let _ = self.conn.execute_batch("ROLLBACK");
            self.ended(false);
        }
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
    }
}

enum StmtInner<'c> {
    SqliteCached(rusqlite::CachedStatement<'c>),
    Sqlite(rusqlite::Statement<'c>),
    Pg(&'c PgConn, PgStatement),
}

/// A prepared statement.
pub struct Stmt<'c>(StmtInner<'c>);

impl<'c> Stmt<'c> {
    fn sqlite(&mut self) -> Option<&mut rusqlite::Statement<'c>> {
        match &mut self.0 {
            StmtInner::SqliteCached(s) => Some(s),
            StmtInner::Sqlite(s) => Some(s),
            StmtInner::Pg(..) => None,
        }
    }

    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        params.bind(|values| {
            if let StmtInner::Pg(c, s) = &self.0 {
                return c.execute(s, values);
            }
            let s = self.sqlite().expect("SQLite statement");
            Ok(s.execute(rusqlite::params_from_iter(values.iter()))?)
        })
    }

    pub fn query_row<T, P: Params, F>(&mut self, params: P, f: F) -> Result<T>
    where
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        params.bind(|values| {
            if let StmtInner::Pg(c, s) = &self.0 {
                let rows = c.query(s, values)?;
                let row = rows.first().ok_or(Error::NoRows)?;
                return f(&Row::Pg(row));
            }
            let s = self.sqlite().expect("SQLite statement");
            let mut rows = s.query(rusqlite::params_from_iter(values.iter()))?;
            let row = rows.next()?.ok_or(Error::NoRows)?;
            f(&Row::Sqlite(row))
        })
    }

    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        self.query_row(params, |_| Ok(()))
            .optional()
            .map(|o| o.is_some())
    }

    pub fn query_map<T, P: Params, F>(&mut self, params: P, f: F) -> Result<MappedRows<'_, F>>
    where
        F: FnMut(&Row<'_>) -> Result<T>,
    {
        if let StmtInner::Pg(c, s) = &self.0 {
            let rows = params.bind(|values| c.query(s, values))?;
            return Ok(MappedRows(MappedInner::Pg(rows.into_iter(), f)));
        }
        let s = self.sqlite().expect("SQLite statement");
        // rusqlite binds the values into the statement before `query`
        // returns, so they need not outlive this call.
        params.bind(|values| -> Result<()> {
            if values.len() != s.parameter_count() {
                return Err(rusqlite::Error::InvalidParameterCount(
                    values.len(),
                    s.parameter_count(),
                )
                .into());
            }
            s.clear_bindings();
            for (i, v) in values.iter().enumerate() {
                s.raw_bind_parameter(i + 1, v)?;
            }
            Ok(())
        })?;
        let rows = s.raw_query();
        Ok(MappedRows(MappedInner::Sqlite(rows, f)))
    }
}

enum MappedInner<'s, F> {
    Sqlite(rusqlite::Rows<'s>, F),
    Pg(std::vec::IntoIter<tokio_postgres::Row>, F),
}

/// The rows of a query, each mapped by the caller's function.
pub struct MappedRows<'s, F>(MappedInner<'s, F>);

impl<T, F> Iterator for MappedRows<'_, F>
where
    F: FnMut(&Row<'_>) -> Result<T>,
{
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        match &mut self.0 {
            MappedInner::Sqlite(rows, f) => match rows.next() {
                Ok(Some(r)) => Some(f(&Row::Sqlite(r))),
                Ok(None) => None,
                Err(e) => Some(Err(e.into())),
            },
            MappedInner::Pg(rows, f) => rows.next().map(|r| f(&Row::Pg(&r))),
        }
    }
}

/// SQLite's statement as PostgreSQL reads it: `?N` and `?` placeholders
/// become `$N`, and the spellings that differ are swapped. String literals
/// are copied untouched.
pub fn translate(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.char_indices().peekable();
    let mut next_bare = 1;
    let mut in_string = false;
    while let Some((_, c)) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\'' {
                in_string = false;
            }
            continue;
        }
        match c {
            '\'' => {
                in_string = true;
                out.push(c);
            }
            '?' => {
                let mut digits = String::new();
                while let Some(&(_, d)) = chars.peek() {
                    if d.is_ascii_digit() {
                        digits.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if digits.is_empty() {
                    out.push('$');
                    out.push_str(&next_bare.to_string());
                    next_bare += 1;
                } else {
                    let n: usize = digits.parse().unwrap_or(0);
                    next_bare = next_bare.max(n + 1);
                    out.push('$');
                    out.push_str(&digits);
                }
            }
            _ => out.push(c),
        }
    }
    for (sqlite, pg) in DIALECT {
        if out.contains(sqlite) {
            out = out.replace(sqlite, pg);
        }
    }
    out
}

/// Spellings SQLite and PostgreSQL do not share, as the table files write
/// them and as PostgreSQL needs them.
const DIALECT: &[(&str, &str)] = &[
    // SQLite's way of fixing the join order; PostgreSQL plans it itself.
    ("CROSS JOIN releases r ON", "JOIN releases r ON"),
    // As a sub-select the query is made once per statement, not once per
    // row (a prepared statement's generic plan filters rows with it).
    (
        "release_search MATCH $1",
        "release_search.tsv @@ (SELECT pressfeed_match($1))",
    ),
    (" LIKE ", " ILIKE "),
    ("group_concat(", "string_agg("),
    (
        "SELECT value FROM json_each(",
        "SELECT value::bigint FROM json_array_elements_text(",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered_and_literals_stay() {
        assert_eq!(
            translate("SELECT '?1', a FROM t WHERE b = ?2 AND c = ?1"),
            "SELECT '?1', a FROM t WHERE b = $2 AND c = $1"
        );
        assert_eq!(
            translate("UPDATE t SET a = ? WHERE b = ? AND c LIKE ?"),
            "UPDATE t SET a = $1 WHERE b = $2 AND c ILIKE $3"
        );
    }

    #[test]
    fn optional_turns_no_rows_into_none_and_keeps_other_errors() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        let conn = Conn::Sqlite(c);
        let none: Option<i64> = conn
            .query_row("SELECT 1 WHERE 0", params![], |r| r.get(0))
            .optional()
            .unwrap();
        assert_eq!(none, None);
        let one: Option<i64> = conn
            .query_row("SELECT ?1 + 1", params![41_i64], |r| r.get(0))
            .optional()
            .unwrap();
        assert_eq!(one, Some(42));
        assert!(
            conn.query_row("SELECT nope", params![], |r| r.get::<_, i64>(0))
                .is_err()
        );
    }

    #[test]
    fn a_dropped_transaction_rolls_back() {
        let conn = Conn::Sqlite(rusqlite::Connection::open_in_memory().unwrap());
        conn.execute_batch("CREATE TABLE t (a INTEGER)").unwrap();
        {
            let tx = conn.begin_write().unwrap();
            tx.prepare_cached("INSERT INTO t VALUES (?1)")
                .unwrap()
                .execute(params![1])
                .unwrap();
        }
        let tx = conn.begin_write().unwrap();
        tx.prepare_cached("INSERT INTO t VALUES (?1)")
            .unwrap()
            .execute(params![2])
            .unwrap();
        tx.commit().unwrap();
        let all: Vec<i64> = conn
            .prepare("SELECT a FROM t")
            .unwrap()
            .query_map(params![], |r| r.get(0))
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(all, [2]);
    }
}
