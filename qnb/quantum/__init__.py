"""qnb.quantum"""
