-- attach() repairs whatever of the attachment is missing; one row per step it had to do.
SELECT a.step, a.seconds, a.rows FROM annotate.attach() a
