"""Tips written the way real ones are (issue 14): each kind of language the engine once missed,
in sentences of our own, not copied from the corpus."""

from __future__ import annotations

import pytest

from tests.triage.conftest import Triage

# ---------------------------------------------------------- 1. drugs the lists do not spell


@pytest.mark.parametrize(
    ("text", "substance"),
    [
        ("mon cousin vend du canabiss derrière l'école de Korofina", "cannabis"),
        ("ils fument la marijuanna au bord du fleuve à Sotuba", "cannabis"),
        ("un gars vend la cocainne dans un bar de l'ACI 2000", "cocaine"),
        ("le crak se vend à 1000 f derrière le marché de Bozola", "cocaine"),
        ("la pharmacie du coin à Sabalibougou vend le tramadoll sans ordonnance", "tramadol"),
        ("des comprimés de diazepan circulent au lycée de Sogoniko", "psychotropes"),
        ("un boutiquier de Kati écoule du rivotrile en cachette", "psychotropes"),
    ],
)
def test_a_drug_name_a_letter_or_two_off_still_names_the_drug(
    triage: Triage, text: str, substance: str
) -> None:
    decision = triage(text)
    assert substance in decision.substances
    assert decision.category not in ("non_exploitable", "hors_competence")


@pytest.mark.parametrize(
    ("text", "substance"),
    [
        ("ils vendent du kusch en sachets à Lafiabougou", "cannabis"),
        ("le skunch arrive par car à Kadiolo", "cannabis"),
        ("un revendeur de Tramadoking passe chaque jour à Daoudabougou", "tramadol"),
        (
            "un magasin à Niaréla garde des produits pharmaceutiques contrefaits",
            "medicaments_contrefaits",
        ),
        ("elle vend des produits pharmaceutiques prohibés à Missira", "medicaments_contrefaits"),
        ("ils revendent des comprimés falsifiés au marché de Fana", "medicaments_contrefaits"),
    ],
)
def test_street_brand_and_statutory_names_name_the_drug(
    triage: Triage, text: str, substance: str
) -> None:
    assert substance in triage(text).substances


@pytest.mark.parametrize(
    "text",
    [
        "il garde 30 plaquettes d'un produit bizarre sous son lit à Daoudabougou",
        "une dame vend un truc appelé zombie en petits sachets aux jeunes de Magnambougou",
        "un motocycliste cache 40 briques dans ses valises à Kolokani",
    ],
)
def test_an_unknown_product_handled_like_a_drug_is_a_drug_matter(triage: Triage, text: str) -> None:
    decision = triage(text)
    assert decision.category in ("trafic", "vente")
    assert decision.substances == ()
    assert decision.antenna != "DG"


@pytest.mark.parametrize(
    "text",
    [
        "le rendez-vous est au point G demain, merci",
        "on se voit en juin à Ségou",
        "ils gardent les moutons derrière la maison à Kati",
    ],
)
def test_ordinary_words_near_a_drug_name_name_no_drug(triage: Triage, text: str) -> None:
    decision = triage(text)
    assert decision.substances == ()
    assert decision.category == "non_exploitable"


# ---------------------------------------------------------- 2. loads as the press describes them


@pytest.mark.parametrize(
    "text",
    [
        "il y a 12 plaquettes de yamba chez un tailleur de Bolibana",
        "ils ont des briquettes de résine dans une maison de Sénou",
        "20 paquets de chanvre sont dans une boutique de Hamdallaye",
        "la voiture grise a des kilos de kush dans le coffre, elle est à Faladié",
        "le car de Sikasso a de la résine dans la soute",
        "un taxi vient de Kolondiéba avec du yamba pour Bougouni",
        "une passagère du car de Kayes a de la coke dans sa valise",
    ],
)
def test_packaging_units_holds_hiding_clauses_and_couriers_are_loads(
    triage: Triage, text: str
) -> None:
    assert triage(text).category == "trafic"


# ---------------------------------------------------------- 3. words read with their neighbours


def test_a_travellers_bag_is_not_a_bulk_sack(triage: Triage) -> None:
    decision = triage("il a un sac de voyage avec un peu d'herbe pour fumer, il est à Kati")
    assert decision.category == "consommation"


def test_supplying_ones_customers_is_selling(triage: Triage) -> None:
    assert triage("le gars de Faladié approvisionne ses clients en kush").category == "vente"


def test_the_transport_business_is_not_a_load(triage: Triage) -> None:
    text = "il fait le transport de sable entre Kati et Bamako et vend la beuh aux maçons"
    assert triage(text).category == "vente"


def test_a_building_named_as_an_address_is_not_wealth(triage: Triage) -> None:
    text = "le dealer habite dans un immeuble de Hamdallaye et vend le crack"
    assert triage(text).category == "vente"


# ---------------------------------------------------------- 4. officials named, not implicated


@pytest.mark.parametrize(
    "text",
    [
        "le camion de yamba passe le poste de douane de Zégoua chaque nuit",
        "après le barrage de police de Sénou les motos chargées de tramadol tournent à gauche",
        "une patrouille de gendarmerie a vu des sacs de chanvre dans une ferme à Kati",
        "la douane de Koury a saisi un car de résine mais le réseau continue",
        "les douanes fouillent les cars à Hèrèmakono mais la résine passe dans les soutes",
        "un camion militaire abandonné cache des cartons de tramadol à Bourem",
        "un ancien gendarme vend de la coke à Sabalibougou",
        "le chef de village de Zangasso cultive le cannabis",
        # The sale is the dealer's, said before the police arrested him.
        "le dealer qui vend du yamba à Banconi a été arrêté par la police la semaine passée",
        "le fils d'un commissaire de police vend du kush à Hamdallaye",
        # An agent in the family who told the reporter is a witness.
        "mon cousin qui est policier m'a dit qu'un homme stocke des cartons de tramadol à Kati",
        "mon frère est policier, il m'a conseillé de vous écrire: le yamba se vend à Kita",
        "je ne peux pas aller voir la police, une dame vend du tramol à Daoudabougou",
        "la gendarmerie a ouvert une enquête mais le yamba se vend toujours à Kita",
    ],
)
def test_an_official_on_the_route_as_witness_or_seizer_implicates_nobody(
    triage: Triage, text: str
) -> None:
    decision = triage(text)
    assert "agent_public" not in decision.flags
    assert decision.antenna != "DG"


@pytest.mark.parametrize(
    "text",
    [
        "les policiers du poste de Niamakoro protègent le ghetto contre de l'argent",
        "au barrage de Kati les gendarmes laissent passer les camions de yamba",
        "les gendarmes de Diboli ont saisi la drogue puis l'ont revendue",
        "des militaires vendent du tramadol au marché de Sévaré",
        "arrêtés par la police de Kati puis relâchés contre de l'argent, ils vendent encore",
        "mon cousin qui est militaire fait passer le tramadol à Kati",
    ],
)
def test_an_official_who_protects_is_paid_or_takes_part_is_implicated(
    triage: Triage, text: str
) -> None:
    decision = triage(text)
    assert "agent_public" in decision.flags
    assert decision.antenna == "DG"


# ---------------------------------------------------------- 5. places


@pytest.mark.parametrize(
    ("text", "place", "antenna"),
    [
        ("50 briques de chanvre à l'autogare de Sikasso", "Sikasso", "SIK"),
        ("un gars vend du tramadol à l'autogare de Bamako", "Bamako", "DG"),
        ("à la gare routière de Kati il y a 20 kg de yamba", "Kati", "KKR"),
    ],
)
def test_a_bus_station_is_not_the_airport(
    triage: Triage, text: str, place: str, antenna: str
) -> None:
    decision = triage(text)
    assert (decision.place, decision.antenna) == (place, antenna)


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("à Missira, à Kita, une femme vend du yamba", "Kita"),
        ("au quartier Hamdallaye de Mopti des jeunes vendent du tramadol", "Mopti"),
        ("à Tiélé, dans la région de Ségou, un magasin stocke du chanvre", "Ségou"),
        ("à Légal Ségou, à Kayes, un homme vend du kush", "Kayes"),
        ("Dans le quartier de Missira à Kita, une femme vend du chanvre", "Kita"),
        ("une femme vend du chanvre à Missira à Kita", "Kita"),
        ("Hamdallaye à Ségou ghetto be yen u be kush feere", "Ségou"),  # leading the sentence
        ("vente de yamba à Hamdallaye à Ségou", "Ségou"),
        ("au marche de Bozola a Segou ils vendent du chanvre en petits sachets", "Ségou"),
    ],
)
def test_a_name_qualified_by_a_town_is_the_place_there(
    triage: Triage, text: str, place: str
) -> None:
    assert triage(text).place == place


def test_a_route_from_a_quartier_to_a_town_is_not_a_qualification(triage: Triage) -> None:
    assert triage("de Missira à Kita le camion transporte du yamba").place == "Missira"
    assert triage("la drogue part de Hamdallaye à Ségou").place == "Hamdallaye"


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("le camion vient de Tamale au Ghana avec du chanvre, il décharge à Ségou", "Ségou"),
        ("les faux médicaments viennent de Sokoto, le dépôt est à Koutiala", "Koutiala"),
        ("parti de Kumasi avec du yamba, il arrive à Koury ce soir", "Koury"),
    ],
)
def test_a_city_abroad_is_not_a_malian_place(triage: Triage, text: str, place: str) -> None:
    assert triage(text).place == place


@pytest.mark.parametrize(
    "text",
    [
        "à Sékoro un homme stocke des cartons de tramadol",
        "une citerne livre des cartons de faux médicaments à Banancoro",
        "opération Founou-Founou : le commissaire arrête les dealers",
    ],
)
def test_an_unlisted_village_or_word_is_not_snapped_to_a_listed_place(
    triage: Triage, text: str
) -> None:
    assert triage(text).place is None


@pytest.mark.parametrize(
    ("typo", "place"),
    [("Bancasse", "Bankass"), ("Marcalla", "Markala"), ("Ombory", "Hombori"), ("Nyonno", "Niono")],
)
def test_two_typos_in_a_name_of_five_to_seven_letters_still_name_it(
    triage: Triage, typo: str, place: str
) -> None:
    assert triage(f"un dealer vend du yamba à {typo}").place == place


# ---------------------------------------------------------- 6. nothing to act on / not a drug


@pytest.mark.parametrize(
    "text",
    [
        "Communiqué : l'OCS a saisi 2 tonnes de cannabis à Sikasso, 20 personnes interpellées",
        "La drogue détruit notre jeunesse, l'État doit agir contre ce fléau",
        "Bravo au maire qui a interdit la chicha, il faut faire pareil partout",
        "Est-ce que je peux signaler un dealer sans donner mon nom ?",
        "J'ai vu à la télé que l'OCS a saisi 500 kg de cannabis à Ségou, bravo",
        "la lutte contre le terrorisme et la drogue doit continuer a Mopti",
        "la guerre contre la drogue est perdue",
        "Qu'Allah protège le Mali et éloigne nos enfants de la drogue. Amine",
        "Tout le monde sait que la drogue circule, faites quelque chose",
        "Hi, is this the right number to report drugs? I'm in Mopti.",
        "blague: pourquoi le dealer est toujours calme? parce qu'il a de la beuh",
        "Merci à la police de Koutiala pour la saisie du tramadol hier, continuez comme ça",
        "Studio Tamani dit que l'OCS a démantelé un réseau de cocaïne à Gao, bonne nouvelle",
        "Selon un rapport de l'ONU la cocaïne traverse le Mali et remonte vers Kidal",
        "Merci pour votre travail, la drogue a beaucoup reculé à Kalaban Coura",
        "Vive le Mali, à bas les dealers!",
        "Allah ka yamba feerelaw halaki",
        # An opinion naming a place, beside an activity said nowhere: still an opinion.
        "La drogue détruit nos jeunes à Kayes. Les dealers vendent partout. Il faut agir.",
        "Merci pour votre travail. À Sikasso le yamba est partout. Que Dieu nous aide.",
        "La drogue est en train de détruire la jeunesse malienne, le yamba et le tramadol sont "
        "partout. Il faut plus de sensibilisation.",  # "en train de" says no time
        "Bonjour, je voudrais savoir comment devenir agent de l'OCS pour lutter contre la drogue",
        "Message officiel : la lutte contre la drogue est l'affaire de tous les citoyens.",
        "le yamba c'est mauvais pour la santé",
        "ou acheter du kush?",  # asking where to buy reports nothing
        "Pourquoi vous arrêtez seulement les petits fumeurs et jamais les gros trafiquants ?",
        "Aidez nos jeunes, la drogue est en train de détruire le pays",
        "Comment on fait pour signaler un vendeur de yamba ? c'est payant ?",
        "armes!!",  # a lone word
        "Drugs are destroying the youth of this country. The government must punish the big "
        "dealers. This is only my opinion as a citizen.",
        "INFO A PARTAGER: d apres la radio les jihadistes financent leurs activites avec le "
        "trafic de drogue au Sahel",
        "Est ce ke mon numero sera cache si je vous donne des infos? J ai peur des represailles",
        "COMMUNIQUÉ — L'Office Central des Stupéfiants informe l'opinion publique de la saisie "
        "de 1,2 tonne de cannabis. Les suspects ont été déférés devant le procureur.",
        "*Transféré* L'OCS a présenté à la presse 1,2 tonne de cannabis saisie par la douane à "
        "Hèrèmakono.",
        "ya trop de drogue dans ce pays, l Etat doit faire quelque chose, on est fatigués",
        "Merci pour l'arrestation du dealer de coke de Korofina hier, bon travail",
        "je fais un mémoire sur la consommation de tramadol à Kéniéba, pouvez-vous me donner des "
        "statistiques?",
        "Est-ce que fumer la chicha est interdit au Mali ?",
        "Combien vs donnez si on denonce un dealer de yamba?",
        "la drogue c pas bon, dites non a la drogue les jeunes",
        "Wallahi la drogue a envahi le nord, les jeunes ne respectent plus rien",
        "la drogue finance les jihadistes c grave",
        "vous faites rien contre la drogue",
        "La chicha doit être interdite comme au Sénégal, c'est mon avis",
        "Nous organisons une causerie contre la drogue au foyer de Dioïla, pouvez-vous envoyer "
        "un agent pour parler ?",
        "Dieu merci mon fils a arrêté le yamba grâce à vos conseils, merci infiniment",
        "[Info RFI] Un réseau de blanchiment lié à la cocaïne démantelé à Gao, trois agents des "
        "douanes inculpés pour complicité.",
        "Déclaration du gouvernement : la lutte contre le blanchiment des capitaux issus de la "
        "drogue est une priorité nationale.",
        "Merci pour votre travail contre l argent sale, que Dieu vous protege",
        "La drogue détruit nos jeunes dans le quartier, il faut agir",  # the opinion's own
        "Je suis au Gabon, comment on peut aider un parent drogué au pays? Il y a un centre de "
        "désintoxication?",
        "Selon Studio Tamani, la douane de Hèrèmakono a intercepté un camion d'oignons contenant "
        "80 briques de chanvre indien. Le chauffeur a été déféré.",
        "L'Essor: l'OCS a saisi 1,5 tonne de cannabis dans un camion de charbon à Zégoua. Bravo "
        "à nos hommes!",
        "Bamada: un passager interpellé à l'aéroport avec 3 kg de cocaïne dans ses bagages.",
        "Article partagé: « démantèlement d'un réseau de trafic de faux médicaments à Markala, "
        "12 tonnes saisies »",
        "An bɛ barika da polisiw ye, yamba tɛ feere Magnambougou la tugun",
        "Est-ce que aw bɛ wari di mɔgɔ ma ni a ye trafiquant dɔ tɔgɔ fɔ?",
        "Je suis un jeune de Gao. Je veux lancer un appel aux autorités: créez des emplois pour "
        "les jeunes, sinon ils vont continuer à tomber dans la drogue.",
        "Article de presse que je partage: selon la direction générale des douanes, 1 500 kg "
        "de chanvre indien ont été saisis à Hèrèmakono. Je le partage pour information.",
        "Je veux lancer un appel aux autorités: créez des emplois pour les jeunes de Gao, sinon "
        "ils vont continuer à tomber dans la drogue.",
        # Copied news in sentences of its own.
        "J'ai vu dans un groupe WhatsApp cette info : l'OCS a saisi 1,2 tonne de cannabis à "
        "Ségou. Est-ce que c'est vrai ?",
    ],
)
def test_statements_opinions_and_questions_are_not_exploitable(triage: Triage, text: str) -> None:
    decision = triage(text)
    assert decision.category == "non_exploitable"
    assert (decision.priority, decision.antenna) == ("P4", "DG")


def test_an_opinion_with_a_concrete_report_stays_a_report(triage: Triage) -> None:
    text = "Il faut agir : il y a un gars qui vend du yamba devant la mosquée de Bagadadji"
    assert triage(text).category == "vente"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Bonjour. À Gao, au quartier Château, un grand commerçant reçoit chaque mois des "
         "camions de cocaïne et les stocke dans son entrepôt de riz. Je suis inquiet car nos "
         "jeunes travaillent pour lui.", "trafic"),
        ("Bjr. A Hombori un commerçant vend de la chicha aux jeunes dans son kiosque à thé. "
         "La chicha c'est déjà trop pour nos jeunes.", "vente"),
        ("L'appelant signale que des talibés sniffent de la colle à Tominian toute la journée. "
         "Il demande si l'OCS peut faire de la sensibilisation.", "consommation"),
        ("Un dépôt de médicaments contrefaits fonctionne près du port de Mopti. Les produits "
         "sont redistribués aux vendeuses de Sévaré. Il faut agir.", "trafic"),
        # An opinion that follows the report in its clause leaves the report standing.
        ("euh les talibés du marché de mopti euh ils sniffent la colle euh toute la journée euh "
         "c est triste", "consommation"),
        # A vague place outside the opinion ("dans le quartier", nightclubs) keeps the report.
        ("les jeunes vendent des comprimés partout dans le quartier, c'est devenu normal",
         "vente"),
        ("Dans les boîtes de nuit ils vendent l'ecstasy aux clients, c'est grave", "vente"),
        # A seller pointed at ("ce vieux", "devant sa boutique") is a report, even unlocated.
        ("on est lasses de voir ce vieux vendre du tramadol aux apprentis devant sa boutique "
         "chaque jour, faites qq chose", "vente"),
        ("ya trop de dealers a Banconi, ils vendent devant l ecole, c'est grave", "vente"),
        # "si c'est vrai" is a condition, not an opinion: a vague report stays a report.
        ("On dit que dans les boîtes de nuit on vend de la cocaïne aux jeunes filles, je ne sais "
         "pas si c'est vrai mais une amie me l'a raconté.", "vente"),
    ],
)  # fmt: skip
def test_a_report_told_in_sentences_of_its_own_beside_an_opinion_stays_a_report(
    triage: Triage, text: str, category: str
) -> None:
    assert triage(text).category == category


@pytest.mark.parametrize(
    "text",
    [
        "un camion cache des balles de tissus sous des sacs de ciment à Kayes",
        "un passager a des lingots d'or dans ses bagages à l'aéroport",
        "des pirogues déchargent des cartons de poulets congelés à Koulikoro",
        "au poste de Bougouni les policiers exigent 2000 f à chaque passager",
    ],
)
def test_smuggled_goods_cash_and_extortion_are_hors_competence(triage: Triage, text: str) -> None:
    assert triage(text).category == "hors_competence"


# ---------------------------------------------------------- more of the same kinds


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("les maçons de Sirakoro prennent le tramadol avant le travail", "consommation"),
        ("les bergers de Nara prennent le tramadol pour travailler au champ", "consommation"),
        ("à Kayes les boutiquiers se fournissent en gros en tramadol au marché", "trafic"),
        ("les caches de la drogue du Ghana sont dans des fermes près de Siby", "trafic"),
        ("il vend le yamba qui vient du Ghana derrière le marché de Kita", "vente"),
        ("l'appartement 3 de l'immeuble Kanu à Badalabougou sert à vendre la coke", "vente"),
    ],
)
def test_taking_wholesale_imports_and_addresses_read_with_their_neighbours(
    triage: Triage, text: str, category: str
) -> None:
    assert triage(text).category == category


def test_a_fake_agent_implicates_no_agent(triage: Triage) -> None:
    decision = triage("un faux gendarme avec une arme transporte du chanvre vers Koutiala")
    assert "agent_public" not in decision.flags
    assert decision.antenna == "SIK"


@pytest.mark.parametrize(
    "text",
    [
        "un préfet a 100 millions sur son compte, c'est de l'argent sale",
        "les policiers de Kati prennent 1000 f par passager",
    ],
)
def test_laundering_and_charges_without_a_drug_are_hors_competence(
    triage: Triage, text: str
) -> None:
    assert triage(text).category == "hors_competence"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("des gamins sniffent de la colle derrière le fumoir de Niaréla", "consommation"),
        ("les orpailleurs de Sadiola prennent deux comprimés de tramadol le matin", "consommation"),
        ("à Sogonafing les jeunes fument le panneau solaire", "consommation"),
        ("une passeuse prend l'avion pour Paris ce soir avec deux valises", "trafic"),
    ],
)
def test_landmarks_takers_street_names_and_couriers(
    triage: Triage, text: str, category: str
) -> None:
    assert triage(text).category == category


def test_agents_who_refuse_a_bribe_are_not_implicated(triage: Triage) -> None:
    text = "il a voulu donner un million aux gendarmes de Fana pour partir avec le yamba, refusé"
    assert "agent_public" not in triage(text).flags


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("des paquets d'un produit appelé afoura sont vendus au marché de Kita", "trafic"),
        ("un commerçant amène du chanvre de Bobo à la foire de Koutiala", "trafic"),
        ("les laveurs de voitures de Bozola prennent leur dose avant le travail", "consommation"),
    ],
)
def test_packets_bringing_and_doses(triage: Triage, text: str, category: str) -> None:
    assert triage(text).category == category


# ---------------------------------------------------------- 7. found by probes of unseen tips
# Seven sets of 100 to 127 tips written from triage.md and the gazetteer, checked against the
# engine (2026-12-07); each case below failed before the change that made it pass.


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("A Diré un commerçant blanchit l'argent des narcos en achetant du bétail", "blanchiment"),
        (
            "Mon oncle à Kayes a acheté une flotte de camions, c'est l'argent de la cocaïne, "
            "il fait passer l'argent par une station d'essence à Diéma",
            "blanchiment",
        ),
        ("la recolte de yamba est expédiée au Niger depuis Ansongo", "trafic"),
        ("les narcos stockent leurs cartons dans un magasin à Gao", "trafic"),
        ("ya dɔrɔgu feerela dɔ Kalaban Coro", "vente"),
        ("dorogu bɛ feere Lafiabougou", "vente"),
    ],
)
def test_street_and_bambara_words_for_drugs_name_a_drug_matter(
    triage: Triage, text: str, category: str
) -> None:
    assert triage(text).category == category


@pytest.mark.parametrize(
    ("text", "category", "substances"),
    [
        ("il vend des barbituriques a Konna a cote du port", "vente", ("psychotropes",)),
        ("champs de cannabis a Kadiolo, la recolte est exportee en Cote d Ivoire", "trafic",
         ("cannabis",)),
        ("les plants de yamba de Kadiolo partent au Ghana par camion", "trafic", ("cannabis",)),
        ("des caisses de cocaine arrivent a l aeroport de Gao cette nuit", "trafic", ("cocaine",)),
    ],
)  # fmt: skip
def test_word_forms_a_listed_family_missed(
    triage: Triage, text: str, category: str, substances: tuple[str, ...]
) -> None:
    decision = triage(text)
    assert (decision.category, decision.substances) == (category, substances)


def test_terrorism_as_an_idea_sets_no_flag_but_terrorists_do(triage: Triage) -> None:
    appeal = "il faut renforcer la lutte contre le terrorisme et le trafic de drogue a Gao"
    assert "terrorisme" not in triage(appeal).flags
    report = "des terroristes escortent un camion de cannabis vers Gao"
    assert "terrorisme" in triage(report).flags
    assert "terrorisme" in triage("le terrorisme vit du trafic de cocaine a Gao").flags


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("des armes de guerre sont cachees dans une maison a Tessalit par des jihadistes",
         "Tessalit"),
        ("a cause de la guerre les jeunes vendent du yamba", None),
    ],
)  # fmt: skip
def test_war_is_a_word_not_a_misspelt_guire(triage: Triage, text: str, place: str | None) -> None:
    assert triage(text).place == place


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("cɛ dɔ bɛ coke feere Bamako Koura, policiw b'a dɛmɛ ka wari ta", "agent_public"),
        ("jihadistew bɛ yamba bɔrɔw ta ka taa Ménaka", "terrorisme"),
        ("a bɛ Rivotril ni diazepam feere lɛkɔlidenw ma Kalaban Coro", "mineurs"),
        ("Gao la, marfa tigiw bɛ cocaine mobiliw lakana", "armes"),
    ],
)
def test_bambara_plurals_and_words_set_their_flags(triage: Triage, text: str, flag: str) -> None:
    assert flag in triage(text).flags


@pytest.mark.parametrize(
    "text",
    [
        "le fils du maire de koutiala vend du kush ds sa boite de nuit",
        "The gendarmes in Ségou arrested a dealer with 2 kilos of kush last week",
    ],
)
def test_a_relative_of_an_official_or_an_arrest_implicates_no_agent(
    triage: Triage, text: str
) -> None:
    assert "agent_public" not in triage(text).flags


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("ya bcp de jeune ki fum du yamba ds la cour de l ecole a lafiabougou", "consommation"),
        ("I saw kids sniffing glue behind the Sogoniko bus station every afternoon",
         "consommation"),
        ("pr info le gar ki vend la drog a torokorobougou il vend ts les soir", "vente"),
        ("sisan mobili bulu ye yamba cartonw ta Segou pont kan, a bɛ taa Bamako", "trafic"),
    ],
)  # fmt: skip
def test_phonetic_english_and_bambara_forms_name_the_activity(
    triage: Triage, text: str, category: str
) -> None:
    assert triage(text).category == category


@pytest.mark.parametrize(
    "text",
    [
        "De Gao à Ansongo les pick-up de résine passent sans contrôle cette nuit",
        "Les motos passent sans lumière cette nuit à Koury avec des sacs de chanvre",
    ],
)
def test_without_negates_its_noun_not_the_time_after_it(triage: Triage, text: str) -> None:
    assert "imminent" in triage(text).flags


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("un chargement de haschich part de Ménaka demain, escorté par des miliciens", "armes"),
        ("des miliciens dozos gardent un dépôt de chanvre à Bankass", "armes"),
        ("Au poste de police de Zégoua les agents prennent 50 000 par car pour fermer les yeux "
         "sur les colis de cannabis", "agent_public"),
    ],
)  # fmt: skip
def test_militia_and_a_post_paid_to_look_away_set_their_flags(
    triage: Triage, text: str, flag: str
) -> None:
    assert flag in triage(text).flags


def test_a_report_ending_with_everybody_knows_is_still_a_report(triage: Triage) -> None:
    text = "pharmacie par terre a Medina Koura, la femme vend tramadol rouge, tout le monde sait"
    assert triage(text).category == "vente"


def test_sacks_counted_in_bambara_are_a_load(triage: Triage) -> None:
    assert triage("sini soir, moto bɛ taa Siby ni yamba sac naani ye").category == "trafic"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Mon voisin à Sabalibougou est dealer, il va se ravitailler en kush à Kati", "vente"),
        ("I saw students smoking weed near the ACI 2000 roundabout, nobody selling",
         "consommation"),
        ("Ils produisent de la méthamphétamine dans une ferme à Siby avec des bidons d'acide",
         "production"),
        ("Un laboratoire à Sotuba fabrique des comprimés qu'ils envoient ensuite à Gao par car",
         "trafic"),
        ("Des camions neufs achetés avec l'argent de la coke font le transport de ciment à Kati",
         "blanchiment"),
        ("Le restaurant de Badalabougou est toujours vide, c'est une façade, l'argent vient de "
         "la meth", "blanchiment"),
        ("Mon patron à Sikasso m'a demandé de déposer 15 millions sur plusieurs comptes, je "
         "pense que c'est de l'argent de la drogue", "blanchiment"),
        ("Trois enfants ont été enlevés à Ségou, les ravisseurs demandent une rançon",
         "hors_competence"),
    ],
)  # fmt: skip
def test_category_borderlines_read_by_their_neighbours(
    triage: Triage, text: str, category: str
) -> None:
    assert triage(text).category == category


@pytest.mark.parametrize(
    ("text", "substances"),
    [
        ("des jeunes vendent de l'igbo derrière la gare de Kayes", ("cannabis",)),
        ("il roule des spliffs et les vend aux jeunes à Koulikoro", ("cannabis",)),
        ("la marie-jeanne se vend au marché de Mopti", ("cannabis",)),
        ("un boutiquier vend du Tramaking à Fana", ("tramadol",)),
        ("des faux antipaludéens sont vendus par une pharmacie ambulante à Kati",
         ("medicaments_contrefaits",)),
        ("on vend de l'extasy et du khat dans une boîte de nuit de l'Hippodrome", ()),
    ],
)  # fmt: skip
def test_street_names_and_brands_name_their_substance(
    triage: Triage, text: str, substances: tuple[str, ...]
) -> None:
    decision = triage(text)
    assert decision.substances == substances
    assert decision.category == "vente"


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("D'ici une heure le pick-up chargé de cannabis va traverser Bougouni", "imminent"),
        ("présentement le gars est au grin de Korofina avec le yamba", "imminent"),
        ("Des combattants escortent les convois de cocaïne vers Kidal", "armes"),
        ("Les donsos de Yorosso escortent les motos de chanvre", "armes"),
        ("des mômes vendent du yamba au marché de Bla", "mineurs"),
        ("Boko Haram finance ses armes avec la cocaïne qui passe par Gao", "terrorisme"),
    ],
)
def test_more_words_of_each_flag(triage: Triage, text: str, flag: str) -> None:
    assert flag in triage(text).flags


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("Un vendeur écoule des plaquettes de tramadol aux mineurs de la mine d'or de Kéniéba",
         "mineurs"),
        ("La menace terroriste est forte mais les dealers de Ménaka vendent du yamba",
         "terrorisme"),
        ("Un policier à la retraite vend du yamba à Magnambougou", "agent_public"),
        ("La femme du douanier vend du yamba à Diboli", "agent_public"),
        ("Des bandits déguisés en gendarmes vendent du tramadol à Kati", "agent_public"),
    ],
)  # fmt: skip
def test_words_that_look_like_a_flag_set_none(triage: Triage, text: str, flag: str) -> None:
    assert flag not in triage(text).flags


def test_a_report_despite_the_fight_against_terrorism_is_a_report(triage: Triage) -> None:
    text = "Un bar de Hombori vend de la chicha et du tramadol malgré la lutte contre le terrorisme"
    assert triage(text).category == "vente"


@pytest.mark.parametrize(
    ("text", "minors"),
    [
        ("les vendeurs de yamba du lycée ont entre 14 et 16 ans à Kati", True),
        ("des garçons âgés d'environ 15 ans vendent du tramadol à Ségou", True),
        ("Ils ont 14 ans et vendent du yamba à Kati", True),
        ("il vend du yamba depuis plus de 2 ans à Kati", False),
        ("ça fait 5 ans qu'il vend du yamba à Kati", False),
        ("ils sont 15 et ont 20 ans, ils vendent du yamba à Kati", False),
    ],
)
def test_an_age_under_18_however_it_is_said(triage: Triage, text: str, minors: bool) -> None:
    assert ("mineurs" in triage(text).flags) is minors


@pytest.mark.parametrize(
    "text",
    [
        "Des gens volent l'herbe fauchée dans mon enclos pour nourrir mes moutons à Ségou",
        "Un escroc vend de la fausse résine époxy pour carrelage aux maçons de Kati",
        "Des sacs de lessive en poudre blanche sans papiers passent par Koury",
        "Des voleurs ont cambriolé le magasin et pris des verres en cristal à Badalabougou",
        "Un restaurant de Missira vend des boulettes de viande avariée",
        "Des contrebandiers font passer des bidons d'essence à dos de mule vers Sikasso",
        "Des passeurs font traverser des migrants vers l'Algérie depuis Gao",
        "On a volé les comprimés pour la tension de ma mère, prescrits par le médecin",
        "Le plombier a volé les joints et robinets du chantier à Faladié",
    ],
)
def test_ordinary_goods_named_like_drugs_are_no_drug_matter(triage: Triage, text: str) -> None:
    decision = triage(text)
    assert decision.category == "hors_competence"
    assert decision.substances == ()


@pytest.mark.parametrize(
    ("text", "substances"),
    [
        ("un gars vend de l'herbe derrière le marché de Kati", ("cannabis",)),
        ("la résine arrive en plaquettes à Sikasso", ("cannabis",)),
        ("des jeunes fument des joints au bord du fleuve à Ségou", ("cannabis",)),
        ("il vend de la poudre blanche aux jeunes de Niaréla", ("cocaine",)),
        ("le cristal se fume dans un ghetto de Gao", ("methamphetamine",)),
    ],
)
def test_the_same_words_still_name_drugs_among_drug_words(
    triage: Triage, text: str, substances: tuple[str, ...]
) -> None:
    assert triage(text).substances == substances


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("Il a un flingue et vend de la cocaïne dans son bar à Niaréla", "armes"),
        ("Les rebelles escortent les convois de cocaine vers Tinzaouaten", "armes"),
        ("Un ado de Daoudabougou vend du kush pour un grand du quartier", "mineurs"),
        ("Le chef d'arrondissement de Sangarébougou protège le ghetto de yamba", "agent_public"),
        ("Les GAT escortent les motos chargées de yamba entre Dinangourou et Koro", "terrorisme"),
    ],
)
def test_a_second_fresh_probes_flags(triage: Triage, text: str, flag: str) -> None:
    assert flag in triage(text).flags


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # a first fresh probe
        ("Des gens de Kidal font transiter la résine vers l'Algérie par Aguelhok", "trafic"),
        ("He is building a hotel in Sévaré with cocaine money", "blanchiment"),
        ("The customs officers at Kourémalé take bribes from gold traders", "hors_competence"),
        ("Un camion a versé sur la route de Ségou à Markala, il y a des blessés",
         "hors_competence"),
        ("Vous êtes des incapables, la drogue circule partout à Sikasso et vous dormez",
         "non_exploitable"),
        ("Le gouvernement doit légaliser le cannabis comme au Canada", "non_exploitable"),
        ("Combien de temps vous gardez mon numéro ? J'ai peur que les dealers me retrouvent",
         "non_exploitable"),
        ("tramadol carton caaman bɛ Zégoua magasin kɔnɔ, u bɛ taa Bamako sisan", "trafic"),
        ("A Nigerian lady flying out of Bamako airport tomorrow has cocaine hidden in her wig",
         "trafic"),
        ("Un ancien policier de Koury dirige un réseau de cocaïne vers le Ghana", "trafic"),
        # a second
        ("Le 4x4 blanc sans plaque va livrer de la cocaine à Anefis cette nuit", "trafic"),
        ("chanvre indien sous les tiges de mil dans une charrette qui va vers Fana", "trafic"),
        ("il fait pousser le chanvre dans son jardin à Baguineda", "production"),
        ("Sa quincaillerie de Bougouni sert juste de paravent, tout son argent vient de la "
         "cocaïne", "blanchiment"),
        ("Il a acheté des terrains à Kati avec les bénéfices de la drogue", "blanchiment"),
        ("Des engrais subventionnés sont détournés et revendus à Fana", "hors_competence"),
        ("Faux Coartem et faux Efferalgan vendus par des ambulants au marché de Dioila", "vente"),
        # a third (sets A and B)
        ("sini samedi matin un 4x4 va quitter Anefis vers Kidal avec des bidons d ephedrine",
         "trafic"),
        ("Une dame revend des plaquettes de tramadol et de rivotril dans son kiosque au marche "
         "de Sevare", "vente"),
        ("Je suis enseignant. Plusieurs de mes élèves viennent en classe sous l'effet du "
         "tramadol.", "consommation"),
        ("le champ de yamba de Fourou, ils vont recolter et envoyer ca en Cote d Ivoire demain",
         "trafic"),
        ("sini mobili dɔ bɛ taa Sikasso, tramadol caaman bɛ a kɔnɔ", "trafic"),
        ("des jeunes se font des injections d heroine ds les toilettes du stade de Sikasso",
         "consommation"),
        ("Les agents des eaux et forets ferment les yeux sur les champs de chanvre a Sagabari",
         "production"),
        ("Il faut dire que les jeunes de Goundam vendent le tramadol ouvertement", "vente"),
        ("Badala kamalenw be yamba min su o su", "consommation"),
        ("Yamba doni bɛ na Kadiolo bi", "trafic"),
        ("Une officine près du grand marché de Koutiala vend du Tramol en boîtes entières aux "
         "chauffeurs de camion, sans ordonnance", "vente"),
        ("Un vendeur de yamba s'installe tous les soirs sous le hangar près du terminus de "
         "Kalaban Coura.", "vente"),
        ("Un commerçant de Gao remet chaque mois l'argent de la vente de cocaïne à un groupe "
         "jihadiste", "blanchiment"),
        ("A Koutiala un jeune fait chaque jour des dizaines de dépôts de petites sommes pour un "
         "homme qui vend du kush", "blanchiment"),
        ("J'appelle tous les parents de Ségou à surveiller leurs enfants, la drogue entre dans "
         "les écoles.", "non_exploitable"),
        ("Bonsoir, quelle est la récompense si je dénonce un trafiquant de chanvre ?",
         "non_exploitable"),
        ("Un vendeur de chaussures vend aussi des boulettes de yamba à ses clients à Kati",
         "vente"),
        ("la résine arrive en plaquettes à Sikasso", "trafic"),
        ("Au poste de Bla le car de Koutiala passe avec des plaquettes de tramadol", "trafic"),
        # a fourth (set D)
        ("pharmacie par terre au marche de Kita, la dame vend des comprimes a n'importe qui",
         "vente"),
        ("chambre de passe a Niarela, les filles et les clients fument du crack dans les chambres",
         "consommation"),
        ("Des enfants talibes mendient au carrefour de Banankabougou et sont battus par leur "
         "maitre", "hors_competence"),
        ("sisan mobili dɔ bɛ Kati, sac caaman yamba kɔnɔ", "trafic"),
        ("il livre le yamba à ses clients à Kati", "vente"),
        ("Il importe du yamba du Ghana par Sikasso", "trafic"),
        # a fifth (set C)
        ("IL FAUT SAN TARDER ARRETER LE VENDEUR DE KUSH DEVANT LE STADE DU 26 MARS", "vente"),
        ("kunu sɔgɔma kamalenw ye crack min Sabalibougou gare kɔfɛ", "consommation"),
        ("le chef de village de Mourdiah protège les cultivateurs de chanvre de la zone",
         "production"),
        ("Wallahi un vendeur de rivotril est installé chaque soir près du carrefour de Kati, que "
         "Allah nous protège", "vente"),
        ("À Bamako, précisément à Torokorobougou, un vendeur de valium est installé près du dépôt "
         "de bois", "vente"),
        ("Est-ce que le numéro vert est vraiment anonyme ? Je veux dénoncer un vendeur de chira",
         "non_exploitable"),
        # a sixth (sets E and F)
        ("Selon RFI, la cocaïne sud-américaine traverse le nord du Mali et finance les groupes "
         "jihadistes", "non_exploitable"),
        ("Article du journal L'Essor: l'OCS a saisi 2 tonnes de cannabis à Kati la semaine "
         "dernière.", "non_exploitable"),
        ("Le gouvernement doit fermer la frontière avec l'Algérie pour stopper le tramadol",
         "non_exploitable"),
        ("Je trouve que le trafic de yamba à Bamako n'avance pas, que fait l'OCS ?",
         "non_exploitable"),
        ("Un éleveur de Nioro a acheté 300 têtes de bétail et un camion neuf en six mois avec "
         "l'argent de la drogue", "blanchiment"),
        ("Léré: en brousse un laboratoire de drogue utilise des bidons d'acide et de solvants, on "
         "voit la fumée la nuit", "production"),
        ("Torokorobougou: des voleurs ont pris trois moutons chez mon oncle", "hors_competence"),
        ("Niamakoro: des jeunes fument le joint devant le terrain de foot, et un certain Lassine "
         "leur vend les boulettes", "vente"),
        # a seventh (sets G and H)
        ("polisi dɔw bɛ wari ta yamba feerelaw fɛ Banconi", "vente"),
        ("Kayes: cɛ dɔ ye so saba jɔ kalo wɔɔrɔ kɔnɔ, mɔgɔw b'a fɔ ko cocaine wari don",
         "blanchiment"),
        ("Kidal la, cɛ dɔw ni marifaw bɛ yamba mobiliw kɔlɔsi", "trafic"),
        ("kamiyɔn dɔ bɛ bɔ Kourémalé sisan ni tramadol carton caaman ye ka taa Bamako", "trafic"),
        ("ne ka moto sonyana kunu Kalaban Coro sugu la", "hors_competence"),
        ("Le dépôt pharmaceutique de la clinique privée de Yirimadio revend le tramadol sans "
         "ordonnance", "vente"),
        ("hello svp c'est quoi le numéro pour signaler la vente de tramadol ?",
         "non_exploitable"),
        ("a 21h un dealer va livrer 20 boulettes de crack à ses clients au bar de Kalaban Coura",
         "vente"),
        # an eighth (set I): short texts
        ("ephedrine pour faire comprime Markala", "production"),
        ("la drogue tue nos enfants", "non_exploitable"),
        ("il faut arreter les dealer", "non_exploitable"),
        ("capsule avalee kokaine passager", "trafic"),
        # a ninth (set J): long reports
        ("Un homme vend du tramadol et de l'héroïne aux routiers au parking des camions de "
         "Yorosso", "vente"),
        ("Des policiers du commissariat de Magnambougou viennent chaque vendredi prendre de "
         "l'argent chez un dealer surnommé Chef Bakary qui vend de la cocaïne. Je n'ai plus "
         "confiance en la police.", "vente"),
        ("Je vis à Bourem. Des hommes armés contrôlent le passage des camions de cocaïne. J'ai "
         "peur de parler mais il faut que quelqu'un le dise.", "trafic"),
        # a tenth and an eleventh (sets K and L)
        ("Des orpailleurs de Sadiola utilisent beaucoup de yamba et de tramadol pour travailler",
         "consommation"),
        ("Je suis journaliste, je veux une interview sur le trafic de drogue au Mali",
         "non_exploitable"),
        ("Un transporteur de Sévaré blanchit l'argent de la drogue en achetant des camions",
         "blanchiment"),
        ("Moi je dis que le yamba devrait être légal comme au Canada. Laissez les gars "
         "tranquilles !", "non_exploitable"),
        ("à Bamako les gars vendent le crack partout dans les boîtes de nuit. Il faut descendre "
         "vérifier.", "vente"),
        ("Y a des gars qui préparent des comprimés dans une maison à Fana, ils mélangent de "
         "l'éphédrine", "production"),
        ("Des bandits ont arraché le téléphone de ma sœur à Sabalibougou hier soir",
         "hors_competence"),
        # the eighth session's (sets M to O): Bambara theft, prayers, doubt, a comma's reach
        ("sonw ye n ka moto ta sugu da la", "hors_competence"),
        ("u ye n ka telephone ta sisan sisan aidez moi stp", "hors_competence"),
        ("Ala ka an deme yamba ni tramadol be denmisenw tinye jamana kono", "non_exploitable"),
        ("yamba be feere Banconi, Ala ka an deme", "vente"),
        ("Les jeunes de Banconi fument le yamba, c'est grave, que fait la police?",
         "consommation"),
        ("bravo pour la lutte contre la drogue et le terrorisme", "non_exploitable"),
    ],
)  # fmt: skip
def test_fresh_probes_categories(triage: Triage, text: str, category: str) -> None:
    assert triage(text).category == category


@pytest.mark.parametrize(
    ("text", "minors"),
    [
        ("Djicoroni Para: des garcons de 12 13 ans fument des joints derriere le terrain", True),
        ("des filles de 15-16 ans vendent du yamba a Kati", True),
        ("les jeunes de 14 à 20 ans fument du yamba tous les jours à Sikasso", True),
        ("des gars de 20 25 ans fument du yamba a Kati", False),
        ("il vend du yamba depuis 2 3 ans a Kati", False),
    ],
)
def test_an_age_range_is_read_from_its_youngest_age(
    triage: Triage, text: str, minors: bool
) -> None:
    assert ("mineurs" in triage(text).flags) is minors


@pytest.mark.parametrize(
    "text",
    [
        "Un camion qui cache des briques de cocaïne doit passer la douane de Diboli ce soir",
        "Un commerçant de Sikasso transporte du chanvre dans un camion de type militaire",
    ],
)
def test_going_through_customs_or_a_military_look_implicates_no_agent(
    triage: Triage, text: str
) -> None:
    assert "agent_public" not in triage(text).flags


@pytest.mark.parametrize(
    ("text", "substances"),
    [
        ("Un grossiste de Niono écoule des cartons de tramadol, un psychotrope très demandé",
         ("tramadol",)),
        ("une pharmacie de Banamba vend sans ordonnance des psychotropes et du tramadol",
         ("psychotropes", "tramadol")),
        ("il vend un psychotrope aux jeunes de Kati", ("psychotropes",)),
    ],
)  # fmt: skip
def test_the_word_psychotrope_beside_tramadol_describes_it(
    triage: Triage, text: str, substances: tuple[str, ...]
) -> None:
    assert tuple(sorted(triage(text).substances)) == substances


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("Convoi de pick-up chargés de cocaïne quitte Tessalit direction Anefis, escorte armée",
         {"armes"}),
        ("bonjour la police, merci pour votre travail", set()),
        ("Un agent de la douane de l'aéroport Sénou sort les valises de cocaïne des passagers "
         "sans fouille", {"agent_public"}),
        ("l'armée protège les convois de cocaïne vers Kidal", {"agent_public"}),
    ],
)  # fmt: skip
def test_an_armed_escort_is_no_army_and_a_greeting_implicates_nobody(
    triage: Triage, text: str, flags: set[str]
) -> None:
    assert set(triage(text).flags) - {"imminent", "frontiere"} == flags


def test_these_psychotropes_beside_tramadol_describe_it(triage: Triage) -> None:
    decision = triage(
        "Des comprimés de tramadol, ces psychotropes qui rendent fou, sont vendus au marché de "
        "Niarela"
    )
    assert decision.substances == ("tramadol",)


def test_gendarmes_in_bambara_are_agents(triage: Triage) -> None:
    decision = triage("zandaramuw ye yamba minɛ Kolokani, u y'a feere tuguni")
    assert "agent_public" in decision.flags


def test_peace_in_bambara_is_no_herb(triage: Triage) -> None:
    assert triage("Allah ka here caya").substances == ()


@pytest.mark.parametrize(
    "text",
    [
        "Des orpailleurs de Yanfolila prennent du tramadol, la police vient rarement sur le site",
        "Je suis gendarme retraité et je vois des jeunes vendre du yamba au marché de Kita",
        "Comment devenir agent de l'OCS ?",
        "sisan la police est à Banconi en train de fouiller les ghettos, le dealer s'est caché",
    ],
)
def test_police_who_seldom_come_or_a_retired_gendarme_implicate_nobody(
    triage: Triage, text: str
) -> None:
    assert "agent_public" not in triage(text).flags
