//! Users, refresh-token families and projects: the records behind the API. Every project query
//! takes the owner, so scoping cannot be forgotten by a caller.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
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

/// What a personal API token may do. A signed-in session may do everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    /// `GET` and `HEAD` requests.
    Read,
    /// Every other request, except minting and deleting tokens.
    Write,
    /// Minting and deleting API tokens (never more scopes than the minting token holds).
    Tokens,
}

impl TokenScope {
    pub const ALL: [TokenScope; 3] = [Self::Read, Self::Write, Self::Tokens];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Tokens => "tokens",
        }
    }

    /// Scopes as stored: space-separated names; unknown names are dropped (a later release's
    /// scope grants nothing here).
    pub fn parse_list(stored: &str) -> Vec<TokenScope> {
        let mut scopes: Vec<TokenScope> = stored
            .split_whitespace()
            .filter_map(|name| Self::ALL.into_iter().find(|s| s.as_str() == name))
            .collect();
        scopes.sort();
        scopes.dedup();
        scopes
    }

    pub fn join(scopes: &[TokenScope]) -> String {
        scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<TokenScope>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// When it stops working (unix ms); `null`: never.
    pub expires_at: Option<i64>,
}

/// What a presented API token grants, when it exists and has not expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenGrant {
    pub user: Uuid,
    pub scopes: Vec<TokenScope>,
    pub expires_at: Option<i64>,
}

/// What one user holds, for quotas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub projects: u64,
    /// Media, renders and the declared length of unfinished uploads.
    pub stored_bytes: u64,
    pub open_uploads: u64,
    /// Jobs queued or running.
    pub active_jobs: u64,
}

#[async_trait]
pub trait Accounts: Send + Sync {
    /// What `user` holds now, in one query.
    async fn usage(&self, user: Uuid) -> Result<Usage, StoreError>;
    /// Creates a user; [`StoreError::Conflict`] when the email is taken.
    async fn create_user(&self, email: &str, password_hash: &str) -> Result<User, StoreError>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;
    async fn user_by_id(&self, id: Uuid) -> Result<Option<User>, StoreError>;
    /// Sets a new password hash and ends every session of the user (their refresh tokens), in
    /// one transaction.
    async fn set_password(&self, user: Uuid, password_hash: &str) -> Result<(), StoreError>;
    /// Deletes the user and, by cascade, everything that is theirs in the database (projects,
    /// tokens, webhooks, uploads). Their stored objects go first (see `Projects::delete_project`).
    async fn delete_user(&self, user: Uuid) -> Result<(), StoreError>;
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
        scopes: &[TokenScope],
        expires_at: Option<i64>,
    ) -> Result<ApiToken, StoreError>;
    async fn api_tokens(&self, user: Uuid) -> Result<Vec<ApiToken>, StoreError>;
    async fn delete_api_token(&self, user: Uuid, id: Uuid) -> Result<(), StoreError>;
    /// What a token grants (and notes its use), if it exists and has not expired.
    async fn api_token_grant(&self, token_hash: &str) -> Result<Option<ApiTokenGrant>, StoreError>;
}

/// A project with what has been done to it, for lists.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectSummary {
    pub project: Project,
    pub has_media: bool,
    /// The video's length, once there is one.
    pub duration_secs: Option<f64>,
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
    /// Deletes the project and its rows, and in the same transaction enqueues `cleanup` (given
    /// the ids of the project's resumable uploads) to delete its objects.
    async fn delete_project(
        &self,
        owner: Uuid,
        id: Uuid,
        cleanup: crate::housekeeping::CleanupJob<'_>,
    ) -> Result<(), StoreError>;
}
