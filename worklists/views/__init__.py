"""HTML/HTMX views of worklists, one module per page (queue, item, scheduler, trail)."""
