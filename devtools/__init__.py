"""Demo and development tooling: the demo, the headless walkthrough, the UI driver, the Xvfb
helper, the activity generator and the staff client. Never imported by the product packages."""
