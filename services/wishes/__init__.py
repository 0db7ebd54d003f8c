"""wishes: micro-wishes (微心愿) from posting to claiming, fulfilment and thanks."""
