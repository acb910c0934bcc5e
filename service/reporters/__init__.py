"""The reporter's identity and the conversation back to them: finding and crypto-shredding a
number, officers' replies and their delivery, the web mailbox, key rotation, and the jobs that
send and erase replies (the only code that decrypts a number).
"""
