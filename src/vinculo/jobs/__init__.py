"""Background work as jobs in the node's database: any `vinculo serve` or `vinculo worker` process takes them."""
