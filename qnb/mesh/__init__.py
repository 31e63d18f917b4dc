"""qnb.mesh"""
