"""The 服务台账 (visitor ledger): entries written at the window, read by the hall's supervisor."""
