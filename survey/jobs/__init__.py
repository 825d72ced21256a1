"""Background jobs: long work (an import) runs outside the request that asked for it, with its
state, progress and result in the database (survey.jobs.services) and a Huey queue to hand it
to a worker (survey.jobs.queue)."""
