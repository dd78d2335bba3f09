//! Users, refresh-token families and projects: the records behind the API. Every project query
//! takes the owner, so scoping cannot be forgotten by a caller.

use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub created_at: i64,
}

/// What happened to a presented refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshUse {
    /// Valid: it is now spent; issue the next token in `family_id` for `user_id`.
    Rotated { user_id: Uuid, family_id: Uuid },
    /// Already spent: the family has now been revoked.
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Project {
    pub id: Uuid,
    #[serde(skip)]
    pub owner_id: Uuid,
    pub name: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[async_trait]
pub trait Accounts: Send + Sync {
    /// Creates a user; [`StoreError::Conflict`] when the email is taken.
    async fn create_user(&self, email: &str, password_hash: &str) -> Result<User, StoreError>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;
    /// Stores a new refresh token (by hash) in `family_id`.
    async fn add_refresh_token(
        &self,
        user_id: Uuid,
        family_id: Uuid,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// Spends a refresh token, detecting reuse.
    async fn use_refresh_token(&self, token_hash: &str) -> Result<RefreshUse, StoreError>;
    /// Revokes the family of a token (logout); returns whether it was found.
    async fn revoke_family_of(&self, token_hash: &str) -> Result<bool, StoreError>;
    async fn create_api_token(
        &self,
        user: Uuid,
        name: &str,
        token_hash: &str,
    ) -> Result<ApiToken, StoreError>;
    async fn api_tokens(&self, user: Uuid) -> Result<Vec<ApiToken>, StoreError>;
    async fn delete_api_token(&self, user: Uuid, id: Uuid) -> Result<(), StoreError>;
    /// The user a token belongs to (and notes its use), if it exists.
    async fn user_for_api_token(&self, token_hash: &str) -> Result<Option<Uuid>, StoreError>;
}

/// A project with what has been done to it, for lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectSummary {
    pub project: Project,
    pub has_media: bool,
    pub has_captions: bool,
    pub renders_done: u64,
}

#[async_trait]
pub trait Projects: Send + Sync {
    /// The owner's projects with their progress, newest first, in one query.
    async fn project_summaries(&self, owner: Uuid) -> Result<Vec<ProjectSummary>, StoreError>;
    async fn create_project(&self, owner: Uuid, name: &str) -> Result<Project, StoreError>;
    async fn list_projects(&self, owner: Uuid) -> Result<Vec<Project>, StoreError>;
    /// [`StoreError::NotFound`] unless the project exists *and* belongs to `owner`.
    async fn project(&self, owner: Uuid, id: Uuid) -> Result<Project, StoreError>;
    async fn rename_project(
        &self,
        owner: Uuid,
        id: Uuid,
        name: &str,
    ) -> Result<Project, StoreError>;
    async fn delete_project(&self, owner: Uuid, id: Uuid) -> Result<(), StoreError>;
}
