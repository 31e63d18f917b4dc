"""qnb.harness"""
