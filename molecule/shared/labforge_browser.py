"""A student's real browser: Debian's headless Chromium driven through its chromedriver with
Selenium (tests/rig/browser.sh installs both), for what only a browser shows: whether it
trusts the lab's certificate, the hub's login page, the spawn-pending page and JupyterLab.

    with LabBrowser(ca_pem, {"lab.test": host_ip}, artefacts) as browser:
        browser.hub_login("https://lab.test", "ada", "secret")
        browser.wait_launcher()
        assert browser.run_in_new_notebook("print(6*7)") == "42"

Certificate errors are never ignored: the lab's CA is trusted the way a user trusts it, in
the NSS database of the browser's (temporary) home."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import NoReturn, Self

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = [
    "--headless", "--no-sandbox",  # --no-sandbox: Chromium refuses to start as root without it
    "--disable-gpu", "--disable-quic", "--no-first-run", "--no-proxy-server",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1400,1000",
]


class LabBrowser:
    def __init__(self, ca_pem_path: str | None, host_map: dict[str, str], artefact_dir: Path):
        self.ca_pem_path = ca_pem_path
        self.host_map = host_map
        self.artefacts = Path(artefact_dir)
        self.driver: webdriver.Chrome | None = None
        self._tmp: str | None = None

    def __enter__(self) -> Self:
        self.artefacts.mkdir(parents=True, exist_ok=True)
        self._tmp = tempfile.mkdtemp(prefix="labforge-browser-")
        home = Path(self._tmp, "home")
        try:
            self._trust(home)
            options = webdriver.ChromeOptions()
            options.binary_location = CHROMIUM
            for flag in FLAGS + [f"--user-data-dir={self._tmp}/profile"]:
                options.add_argument(flag)
            # The lab's names go to the given addresses and every other name fails to resolve, so
            # that nothing in a page (or Chromium itself) reaches beyond the test's own hosts.
            # `MAP *` catches IP literals too: those (anything that starts with a digit) and
            # localhost are left alone.
            rules = [f"MAP {name} {ip}" for name, ip in self.host_map.items()] + ["MAP * ~NOTFOUND"]
            rules += ["EXCLUDE localhost"] + [f"EXCLUDE {digit}*" for digit in "0123456789"]
            options.add_argument("--host-resolver-rules=" + ", ".join(rules))
            # chromedriver passes its environment on to Chromium: HOME is where Chromium finds
            # the NSS database; SE_OFFLINE keeps Selenium Manager from downloading anything.
            env = {**os.environ, "HOME": str(home), "SE_OFFLINE": "true"}
            self.driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER, env=env), options=options)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self.driver is not None:
                self.driver.quit()
        finally:
            self.driver = None
            if self._tmp:
                shutil.rmtree(self._tmp, ignore_errors=True)
                self._tmp = None

    def _trust(self, home: Path) -> None:
        """Chromium on Linux takes its trust anchors from the user's NSS database (besides the
        system's store): an empty one in the temporary home, holding the lab's CA if given."""
        nssdb = f"sql:{home}/.pki/nssdb"
        Path(home, ".pki/nssdb").mkdir(parents=True)
        subprocess.run(["certutil", "-N", "-d", nssdb, "--empty-password"], check=True, capture_output=True)
        if self.ca_pem_path:
            subprocess.run(["certutil", "-A", "-d", nssdb, "-t", "C,,", "-n", "labforge-lab-ca",
                            "-i", str(self.ca_pem_path)], check=True, capture_output=True)

    # Waiting, and what a failed wait leaves behind.
    def _wait(self, what: str, condition, timeout: float):
        """condition(driver) until it returns something true; on timeout an AssertionError with
        where the browser was, and a screenshot and the page's HTML in the artefact directory."""
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.25,
                                 ignored_exceptions=(StaleElementReferenceException,)).until(condition)
        except TimeoutException:
            self._timed_out(what, timeout)

    def _timed_out(self, what: str, timeout: float) -> NoReturn:
        stem = self.artefacts / f"{time.strftime('%H%M%S')}-{re.sub(r'[^a-z0-9]+', '-', what.lower()).strip('-')}"
        try:
            shot = self.screenshot(stem.with_suffix(".png"))
            stem.with_suffix(".html").write_text(self.driver.page_source)
            where = f"at {self.driver.current_url} (title {self.driver.title!r}), screenshot {shot}"
        except WebDriverException as error:  # the browser itself is gone or stuck
            where = f"and the browser does not answer: {error.msg}"
        raise AssertionError(f"{what}: not within {timeout} s; {where}") from None

    def _visible(self, css: str, root=None):
        """The first displayed element matching css, or None (a condition for _wait)."""
        found = [e for e in (root or self.driver).find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]
        return found[0] if found else None

    def _loaded(self, timeout: float = 60) -> None:
        self._wait("page load", lambda d: d.execute_script("return document.readyState") == "complete", timeout)

    # Pages.
    def open(self, url: str, timeout: float = 60) -> None:
        """Load url. A page that cannot be reached (unknown name, refused) raises
        WebDriverException; one whose certificate is not trusted shows the interstitial."""
        self.driver.set_page_load_timeout(timeout)
        try:
            self.driver.get(url)
        except TimeoutException:
            self._timed_out(f"loading {url}", timeout)

    def screenshot(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))
        return path

    def cert_error(self) -> bool:
        """Chromium shows its interstitial instead of the page: it does not trust the certificate."""
        try:
            shown = self.driver.execute_script("return document.body ? document.body.innerText : ''")
            return self.driver.title == "Privacy error" or "NET::ERR_CERT" in shown
        except WebDriverException:
            return False

    # JupyterHub.
    def hub_login(self, base_url: str, username: str, password: str, timeout: float = 60) -> None:
        """Sign in on the hub's login page (JupyterHub's own or NativeAuthenticator's: the same
        ids) and return once the browser has left the form's page for the next one."""
        self.open(base_url.rstrip("/") + "/hub/login")
        form = self._wait("login form", lambda d: self._visible("#username_input"), timeout)
        form.send_keys(username)
        self.driver.find_element(By.CSS_SELECTOR, "#password_input").send_keys(password)
        submit = self.driver.find_element(By.CSS_SELECTOR, "#login_submit")
        submit.click()
        self._wait("login form submitted", lambda d: _stale(submit), timeout)
        self._loaded(timeout)

    def hub_error(self) -> str | None:
        """The login page's error message (a refused login), or None."""
        found = self.driver.find_elements(By.CSS_SELECTOR, ".login_error")
        return found[0].text.strip() if found else None

    # JupyterLab.
    def wait_launcher(self, timeout: float = 180) -> None:
        """Until JupyterLab shows its launcher: after a login the hub may first spawn the server
        behind its spawn-pending page, which moves on to the lab by itself. A lab that restores
        the documents left open in the user's workspace shows none: then one is opened."""
        def lab(d):
            if self._visible(".jp-Launcher"):
                return "launcher"
            # the splash screen is gone once JupyterLab has restored its layout
            if not d.find_elements(By.ID, "jupyterlab-splash") and self._visible("#jp-main-dock-panel .lm-TabBar-tab"):
                return "documents"
            return None
        if self._wait("JupyterLab launcher", lab, timeout) == "documents":
            self._open_launcher()

    def _open_launcher(self) -> None:
        """A launcher tab, as the + beside the main area's tabs opens one."""
        self.driver.find_element(By.CSS_SELECTOR, "#jp-main-dock-panel .lm-TabBar-addButton").click()
        self._wait("JupyterLab launcher after +", lambda d: self._visible(".jp-Launcher"), 30)

    def run_in_new_notebook(self, code: str, timeout: float = 120) -> str:
        """From the launcher, a new notebook on the Python 3 kernel; run code in its first cell
        as a student does (type, Shift+Enter) and return the text of the cell's output."""
        if not self._visible(".jp-Launcher"):  # another document is on show
            self._open_launcher()
        before = {p.get_attribute("id") for p in self.driver.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel")}
        cards = self._wait("notebook cards in the launcher", lambda d: [
            c for c in d.find_elements(By.CSS_SELECTOR, '.jp-LauncherCard[data-category="Notebook"]')
            if c.is_displayed()], timeout)
        card = next((c for c in cards if (c.get_attribute("title") or "").startswith("Python 3")), cards[0])
        card.click()
        panel = self._wait("new notebook", lambda d: next((
            p for p in d.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel")
            if p.get_attribute("id") not in before and p.is_displayed()), None), timeout)
        self._wait("kernel idle", lambda d: self._visible('.jp-Notebook-ExecutionIndicator[data-status="idle"]', panel),
                   timeout)
        editor = self._wait("first cell's editor", lambda d: self._visible(".jp-CodeCell .cm-content", panel), timeout)
        editor.click()
        # Inserted as text input (as a paste or an input method does), not key by key: the
        # editor's auto-indent would otherwise indent again what the code already indents.
        self.driver.execute_cdp_cmd("Input.insertText", {"text": code})
        webdriver.ActionChains(self.driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
        cell = panel.find_elements(By.CSS_SELECTOR, ".jp-CodeCell")[0]

        def prompt(d):
            return cell.find_element(By.CSS_SELECTOR, ".jp-InputPrompt").text.strip()

        # The prompt turns from [ ]: to [*]: while the cell runs, and to [1]: when it is done.
        # On a loaded machine JupyterLab can take the first Shift+Enter before its kernel
        # connection is up, and then leaves the cell unrun at [ ]:, as a user would see; like
        # that user, run it again (Ctrl+Enter on the cell), at most twice.
        deadline = time.monotonic() + timeout
        for _ in range(2):
            try:
                WebDriverWait(self.driver, 20, poll_frequency=0.25).until(lambda d: prompt(d) != "[ ]:")
                break
            except TimeoutException:
                cell.find_element(By.CSS_SELECTOR, ".jp-InputArea-editor").click()
                webdriver.ActionChains(self.driver).key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(
                    Keys.CONTROL).perform()
        self._wait("cell run", lambda d: re.fullmatch(r"\[\d+\]:", prompt(d)), max(deadline - time.monotonic(), 10))
        return cell.find_element(By.CSS_SELECTOR, ".jp-Cell-outputArea").text.strip()


def _stale(element) -> bool:
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
