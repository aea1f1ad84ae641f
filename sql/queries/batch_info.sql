-- $1 batch_id: URLs in the batch, and those with at least one user agency annotation
-- (the app's definition of "annotated").
SELECT count(*),
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM public.annotation__agency__user a
                                      WHERE a.url_id = lb.url_id))
FROM public.link_batches__urls lb
WHERE lb.batch_id = $1
