"""qnb.store"""
