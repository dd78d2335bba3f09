//! What runs around the handlers: request budgets, metrics and request logs, the request
//! deadline, CORS and the security headers. Nothing here knows a resource.

pub mod cors;
pub mod deadline;
pub mod rate_limit;
pub mod security_headers;
pub mod telemetry;
