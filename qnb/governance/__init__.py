"""qnb.governance"""
