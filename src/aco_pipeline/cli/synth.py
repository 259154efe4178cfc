"""`aco synth`: write a synthetic ACO's deliveries (placeholder until the generator lands)."""
