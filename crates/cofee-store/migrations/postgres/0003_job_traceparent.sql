-- The W3C traceparent of the span that enqueued the job (when traces are exported), so the
-- worker's span for it joins the same trace. trace_context keeps the request id.
ALTER TABLE jobs ADD COLUMN traceparent TEXT;
