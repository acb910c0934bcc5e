"""Flags: weapons, public agents, minors, terrorism, borders, and negations."""

from __future__ import annotations

import pytest

from tests.triage.conftest import Triage

SCENE = "un dealer vend du yamba à Kayes"


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("des hommes armés", "armes"),
        ("il a un pistolet", "armes"),
        ("ils ont des kalachnikovs", "armes"),
        ("ARMES", "armes"),
        ("un policier le protège", "agent_public"),
        ("les gendarmes de la brigade", "agent_public"),
        ("un douanier", "agent_public"),
        ("des hommes en tenue", "agent_public"),
        ("le maire est complice", "agent_public"),
        ("un agent de l'OCS le couvre", "agent_public"),
        ("la police le protège", "agent_public"),
        ("le colonel du camp le protège", "agent_public"),
        ("mon cousin qui est militaire le ravitaille", "agent_public"),  # the cousin is one
        ("son frère est gendarme et il vend aussi", "agent_public"),
        ("pulisiw be wari ta u fe", "agent_public"),
        ("les gendarmes ne fouillent jamais, il leur remet une enveloppe", "agent_public"),
        ("un policier m'a pris 5000F au contrôle routier, c'est du racket", "agent_public"),
        ("OCS agent dɔ bɛ kunnafoni di yamba feerelaw ma", "agent_public"),
        ("les flics laissent faire", "agent_public"),
        ("marifatigiw be yamba kamiyonw lakana", "armes"),
        ("kamalenw bɛ yamba feere, muruw bɛ u bolo", "armes"),
        ("un jeune vend du tramadol aux lakolidenw", "mineurs"),
        # After "mais", an object pronoun carries the gendarmes on: they released it for money.
        (
            "les gendarmes ont arrêté le camion mais l'ont relâché après que le patron a payé",
            "agent_public",
        ),
        ("la police vient chez moi chaque semaine prendre l'argent du dealer", "agent_public"),
        ("un conseiller communal le finance", "agent_public"),
        ("un agent de la mairie", "agent_public"),
        ("ils ont des coupe-coupe et une kalash", "armes"),
        ("deux garçons de 16ans", "mineurs"),
        ("il vend aux élèves", "mineurs"),
        ("des talibés", "mineurs"),
        ("une fille de 14 ans", "mineurs"),
        ("son fils de seize ans", "mineurs"),  # spelt out, as operators write
        ("un garçon de dix-sept ans", "mineurs"),
        ("des enfants âgés de 12 ans", "mineurs"),
        ("les jeunes de moins de 18 ans", "mineurs"),
        ("a 15 year old boy", "mineurs"),
        ("un groupe jihadiste", "terrorisme"),
        ("des katibas du JNIM", "terrorisme"),
        # "pas" then "les" denies the arrest, not the jihadists.
        ("pourquoi vous n'arrêtez pas les jihadistes ?", "terrorisme"),
        ("près de la frontière", "frontiere"),
        ("en passant par Zégoua", "frontiere"),
        ("en passant par Kourémalé", "frontiere"),
    ],
)
def test_flag_words(triage: Triage, text: str, flag: str) -> None:
    assert flag in triage(f"{SCENE}, {text}").flags


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("il n'a pas d'armes", "armes"),
        ("sans armes", "armes"),
        ("aux jeunes", "mineurs"),
        ("aux étudiants", "mineurs"),
        ("depuis plus de 2 ans", "mineurs"),
        ("un homme de 25 ans", "mineurs"),
        ("un homme de dix-huit ans", "mineurs"),
        ("depuis deux ans", "mineurs"),
        ("le gardien de nuit et l'infirmier", "agent_public"),
        ("derrière le commissariat", "agent_public"),
        ("près de la gendarmerie", "agent_public"),
        ("j'ai peur d'appeler la police", "agent_public"),  # addressed, not implicated
        ("près du camp militaire", "agent_public"),  # a landmark
        ("ils sont pa armés", "armes"),
        ("il n'y a pas de policiers", "agent_public"),
        ("ses gardes du corps", "agent_public"),
        ("près de Kadiolo", "frontiere"),
        ("bravo pour la lutte contre la drogue et le terrorisme", "terrorisme"),
        ("ils passent la frontière sans payer la douane", "agent_public"),  # evaded, not bribed
        ("si je le signale la police va connaitre mon nom?", "agent_public"),
        ("a annoncé le procureur", "agent_public"),
        ("les gendarmes l'avaient arrêté le mois passé", "agent_public"),
        ("la police a attrapé un dealer hier mais son frère continue", "agent_public"),
        ("kamiyon bɛ Zegoua douane kɔfɛ", "agent_public"),  # behind the customs post
        ("si je donne l'adresse, la police va pas venir chez moi?", "agent_public"),  # a fear
        ("les gendarmes ont fait du bon travail", "agent_public"),  # praised
        ("le ministre de la Sécurité a lancé une campagne contre la drogue", "agent_public"),
        ("ce ne sont pas les policiers qui le protègent", "agent_public"),  # who it is, denied
        ("la police a déjà arrêté son frère pour la même chose", "agent_public"),
        ("les gendarmes ont trouvé des sacs de yamba dans le camion", "agent_public"),
        ("une maison à deux rues du commissariat", "agent_public"),  # a landmark
        ("il porte toujours une veste militaire", "agent_public"),  # clothing
        ("selon la direction générale des douanes", "agent_public"),  # a source
        ("nos jeunes sont en train de se détruire", "imminent"),  # a decline, no event
        ("la pharmacie vend même après minuit", "imminent"),  # a habit
        ("juma o juma, muso do be chicha feere", "imminent"),  # every Friday
        ("polisiw ye ce do mine kunun sogoma", "agent_public"),  # they arrested a man
        ("les douaniers ont brûlé 5 tonnes de yamba", "agent_public"),
        ("la gendarmerie a mis la main sur 3 millions de comprimés", "agent_public"),
        ("à 50 m de la brigade de gendarmerie de Banamba", "agent_public"),  # a landmark
        ("un gendarme en civil a tout vu quand ils déchargeaient", "agent_public"),  # a witness
        ("un passager a été arrêté à l'aéroport, la police l'a emmené", "agent_public"),
        ("des cantines militaires remplies de plaquettes de haschich", "agent_public"),
        ("je suis policier mais j'écris comme simple citoyen", "agent_public"),  # the reporter
        ("le ministre félicite les agents de la douane pour la saisie", "agent_public"),
        ("le frère d un colonel de l armée a ouvert trois hôtels", "agent_public"),  # kin
        (
            "les policiers du commissariat n'ont rien à voir avec ça, c'est pour situer",
            "agent_public",
        ),
        ("il n'y a pas de jihadistes ici", "terrorisme"),
        ("la police a arrêté le dealer mais les autres paient toujours", "agent_public"),
    ],
)
def test_words_that_look_like_flags_but_are_not(triage: Triage, text: str, flag: str) -> None:
    assert flag not in triage(f"{SCENE}, {text}").flags


def test_a_border_post_flags_even_when_it_does_not_route(triage: Triage) -> None:
    decision = triage("un camion de yamba quitte Sikasso pour Zégoua")
    assert (decision.antenna, decision.flags) == ("SIK", ("frontiere",))
