"""kdntk's core, private: one idea per module. Names inside carry no underscore: each module's
``__all__`` is the contract the rest of kdntk (the paper namespaces, tasks, teachers, plotting)
builds on; users import the public re-exports from [`kdntk`][kdntk] instead."""
