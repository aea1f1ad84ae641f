-- Whether the extension is attached to the app's tables (annotate.attach()).
SELECT s.attached FROM annotate_internal.state s
