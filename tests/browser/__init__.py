"""Browser tests: the public site in headless Chromium (Playwright) and axe-core."""
