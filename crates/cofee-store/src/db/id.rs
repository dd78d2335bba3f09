//! Ids as each backend keeps them: PostgreSQL's `UUID`, and on SQLite the hyphenated text the
//! schema has always held (sqlx's own `Uuid` on SQLite is a 16-byte blob, which would not match
//! the rows already stored).

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};
use uuid::Uuid;
use uuid::fmt::Hyphenated;

/// A UUID bound to or read from a query on either backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Id(pub Uuid);

impl From<Id> for Uuid {
    fn from(id: Id) -> Self {
        id.0
    }
}

impl Type<Sqlite> for Id {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <Hyphenated as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Id {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::sqlite::SqliteArgumentsBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <Hyphenated as Encode<Sqlite>>::encode_by_ref(&self.0.hyphenated(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Id {
    fn decode(value: sqlx::sqlite::SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(<Hyphenated as Decode<Sqlite>>::decode(value)?.into_uuid()))
    }
}

impl Type<Postgres> for Id {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <Uuid as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Id {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <Uuid as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Id {
    fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(<Uuid as Decode<Postgres>>::decode(value)?))
    }
}

/// A UUID kept as hyphenated text on both backends: `jobs.owner_id`, which stays TEXT on
/// PostgreSQL until a contracting migration (see `migrations/postgres/0004_job_project.sql`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TextId(pub Uuid);

impl<DB: sqlx::Database> Type<DB> for TextId
where
    String: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <String as Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <String as Type<DB>>::compatible(ty)
    }
}

impl<'q, DB: sqlx::Database> Encode<'q, DB> for TextId
where
    String: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        self.0.hyphenated().to_string().encode(buf)
    }
}

impl<'r, DB: sqlx::Database> Decode<'r, DB> for TextId
where
    String: Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(Uuid::parse_str(&String::decode(value)?)?))
    }
}
