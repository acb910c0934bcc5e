"""Who is asking and what they may touch, shared by the HTML console and the JSON API: the
request's database session, authentication, CSRF, request dependencies, role sets and the one
permissions table.
"""
