"""Link analysis over the records a user may see: neighbourhoods, paths, groups, chains; GraphML/CSV."""
