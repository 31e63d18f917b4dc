"""qnb.runtime"""
