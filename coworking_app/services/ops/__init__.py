"""Operations: what load balancers, orchestrators and operators ask of a running instance."""
