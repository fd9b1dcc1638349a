"""`vinculo notify` as an operator runs it: subscribe a user, import records, one pass, the user's inbox;
bad input is one line and exit 2."""

import json

from test_cli import run
from test_imports import unodc_sample


def test_subscribe_import_run_inbox(tmp_path, db_url):
    home = tmp_path / "home"
    run(home, db_url, "init", "--node-id", "mx-fgr", "--name", "FGR test", "--country", "MX")
    run(home, db_url, "user", "add", "ana", "--role", "analyst", "--password-stdin", input="long-password-1\n")
    run(home, db_url, "notify", "run")  # positions at the feed's end
    out = run(home, db_url, "notify", "subscribe", "--user", "ana", "--type", "seizure", "--country", "MX",
              "--json").stdout
    assert json.loads(out)["filter"] == {"country": ["MX"], "type": ["seizure"]}
    bad = run(home, db_url, "notify", "subscribe", "--user", "ana", "--quiet", "late", check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--quiet" in bad.stderr
    bad = run(home, db_url, "notify", "subscribe", "--user", "ana", "--channel", "email", check=False)
    assert bad.returncode == 2 and "e-mail" in bad.stderr
    nobody = run(home, db_url, "notify", "list", "--user", "zed", check=False)
    assert nobody.returncode == 2
    path = unodc_sample(tmp_path)
    run(home, db_url, "import", "unodc-ids", str(path))
    made = run(home, db_url, "notify", "run").stdout
    assert "notifications made" in made
    items = json.loads(run(home, db_url, "notify", "inbox", "--user", "ana").stdout)
    assert items and all(i["payload"]["type"] == "seizure" and i["payload"]["fields"]["country"] == "MX"
                         for i in items)
    assert "marked read" in run(home, db_url, "notify", "read", "--user", "ana").stdout
    assert json.loads(run(home, db_url, "notify", "inbox", "--user", "ana", "--unread").stdout) == []
