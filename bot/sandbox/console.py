"""`python -m bot sandbox`: the emulator with the demo server and a console to act as its members.

Type a slash command as on Discord (`/aide`, `/config fuseau fuseau:Europe/Paris`), or a console
command starting with `:` (`:aide` lists them). Answers are rendered as text.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.sandbox.demo import DemoServer
from bot.sandbox.driver import Driver, DriverError, Message, Reply
from bot.sandbox.harness import furnish, sandbox
from bot.sandbox.render import render_choices

HELP = """Commandes de la console :
  /commande sous-commande option:valeur …   comme sur Discord (#salon, @rôle, @membre pour les options)
  :membre NOM              agir en tant que NOM ({members})
  :langue fr|en-US         langue de Discord du membre
  :salon NOM               salon où taper les commandes ({channels})
  :clic LIBELLÉ            cliquer un bouton du dernier message
  :choix VALEUR[,VALEUR]   choisir dans le menu du dernier message
  :formulaire champ=valeur … menu=[a,b]   remplir et envoyer le dernier formulaire
  :auto /commande option texte   voir l'autocomplétion
  :salon-voir NOM          lire les derniers messages d'un salon ; :mp voir ses messages privés
  :quitter"""


class Console:
    def __init__(self, driver: Driver, demo: DemoServer, write: Callable[[str], None] = print) -> None:
        self.driver = driver
        self.demo = demo
        self.write = write
        self.user = demo.user("alex")
        self.channel = demo.channel("general")
        self.locale: str | None = None
        self.last: Reply | None = None

    @property
    def prompt(self) -> str:
        return f"{self.user.username}@#{self.channel.name}> "

    async def handle(self, line: str) -> bool:
        """Run one line; False when the member asked to quit."""
        line = line.strip()
        if not line:
            return True
        try:
            if line.startswith("/"):
                await self._slash(line)
            elif line.startswith(":"):
                return await self._console_command(line)
            else:
                self.write("Tapez une commande qui commence par / ou :aide.")
        except DriverError as exc:
            self.write(f"Discord refuserait : {exc}")
        except (ValueError, KeyError) as exc:
            self.write(f"Entrée incomprise : {exc}")
        return True

    async def _slash(self, line: str) -> None:
        words = shlex.split(line[1:])
        path = [w for w in words if ":" not in w]
        options = dict(w.split(":", 1) for w in words if ":" in w)
        resolved = {name: self._resolve(value) for name, value in options.items()}
        reply = await self.driver.slash(self.user, " ".join(path), channel=self.channel, locale=self.locale, **resolved)
        self._show(reply)

    def _resolve(self, value: str) -> Any:
        if value.startswith("#"):
            name = value[1:]
            for key, channel in self.demo.channels.items():
                if name in (key, channel.name):
                    return channel
            raise ValueError(f"salon inconnu {value}")
        if value.startswith("@"):
            name = value[1:].casefold()
            for role_key, role in self.demo.roles.items():
                if name in (role_key.casefold(), role.name.casefold()):
                    return role
            if name in self.demo.users:
                return self.demo.users[name]
            raise ValueError(f"rôle ou membre inconnu {value}")
        return int(value) if value.isdigit() else value

    async def _console_command(self, line: str) -> bool:
        command, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        if command in ("quitter", "q", "exit"):
            return False
        if command == "aide":
            self.write(HELP.format(members=", ".join(self.demo.users), channels=", ".join(self.demo.channels)))
        elif command == "membre":
            self.user = self.demo.user(rest)
        elif command == "langue":
            self.locale = rest or None
        elif command == "salon":
            self.channel = self.demo.channel(rest)
        elif command == "clic":
            self._show(await self.driver.click(self.user, self._last_message(), rest, locale=self.locale))
        elif command == "choix":
            values = [v.strip() for v in rest.split(",") if v.strip()]
            self._show(await self.driver.choose(self.user, self._last_message(), values, locale=self.locale))
        elif command == "formulaire":
            if self.last is None:
                raise ValueError("aucun formulaire ouvert")
            fields: dict[str, str | list[str]] = {}
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                # [a,b] chooses several values in a menu; anything else is text.
                fields[name] = value[1:-1].split(",") if value.startswith("[") and value.endswith("]") else value
            self._show(await self.driver.submit(self.user, self.last, fields, locale=self.locale))
        elif command == "auto":
            words = shlex.split(rest)
            path = words[:-2]
            choices = await self.driver.autocomplete(
                self.user, " ".join(path), words[-2], words[-1], channel=self.channel, locale=self.locale
            )
            self.write(render_choices(choices))
        elif command == "salon-voir":
            for data in self.driver.emulator.messages_in(self.demo.channel(rest))[-5:]:
                self.write(Message(self.driver.emulator, data).text + "\n")
        elif command == "mp":
            for data in self.driver.emulator.dms_to(self.user)[-5:]:
                self.write(Message(self.driver.emulator, data).text + "\n")
        else:
            self.write("Commande de console inconnue ; :aide les liste.")
        return True

    def _last_message(self) -> Message:
        if self.last is None or not self.last.messages:
            raise ValueError("aucun message à manipuler")
        return self.last.messages[-1]

    def _show(self, reply: Reply) -> None:
        self.last = reply
        self.write(reply.text or "(aucune réponse visible)")
        for message in reply.posted:
            where = self.driver.emulator.channels[message.channel_id]
            self.write(f"\n— publié dans {'MP' if where.guild_id is None else '#' + where.name} :\n{message.text}")


async def run_console(settings: Settings, *, database: str | None = None) -> int:
    with tempfile.TemporaryDirectory(prefix="habitat-sandbox-") as scratch:
        path = Path(database) if database else Path(scratch) / "sandbox.sqlite3"
        async with sandbox(path, settings=settings) as box:
            await furnish(box)
            console = Console(box.driver, box.demo)
            print("Bac à sable hors ligne : un Discord local avec un serveur de démonstration.")
            print("Tapez /aide pour commencer, :aide pour les commandes de la console, :quitter pour sortir.")
            loop = asyncio.get_running_loop()
            while True:
                try:
                    line = await loop.run_in_executor(None, input, console.prompt)
                except EOFError:
                    break
                if not await console.handle(line):
                    break
    sys.stdout.flush()
    return 0
