"""The house style of every document (package data: backprop_solver.templates)."""
