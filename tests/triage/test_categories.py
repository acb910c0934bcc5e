"""Categories and substances: activity precedence, drug matter with or without a listed
substance, and the non-drug categories."""

from __future__ import annotations

import pytest

from tests.triage.conftest import Triage


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("un camion de yamba à Kati", "trafic"),
        ("il stocke 20 kg de cocaïne", "trafic"),
        ("une mule a avalé des boulettes de cocaïne", "trafic"),
        ("il est complice des trafiquants de drogue", "trafic"),
        ("des grossistes vendent le tramadol en cartons", "trafic"),
        ("tramadol caaman bɛ mobili kɔnɔ", "trafic"),
        ("il cultive le chanvre dans son champ de mil", "production"),
        ("un labo fabrique des comprimés", "production"),
        ("ils ont une machine pour presser des comprimés de tramadol", "production"),
        ("avaleur de coke, vol ce soir", "trafic"),
        ("d gars injectent l eroine ds 1 maison abandonnee", "consommation"),
        ("Kolokani la, denmisɛnw bɛ tramol min lakɔli la", "consommation"),
        ("elle a été retrouvée inconsciente après avoir bu un mélange de tramadol", "consommation"),
        ("mon mari fume du crack, il a tout vendu à la maison, même le frigo", "consommation"),
        ("the old man at the market sells tramadol to truck drivers", "vente"),
        ("la vendeuse ravitaille ses clientes en tramol", "vente"),  # supplying customers
        ("des élèves travaillent dans le champ de chanvre d'un commerçant", "production"),
        ("il a fait fortune avec le tramadol : villas, camions, station d'essence", "blanchiment"),
        ("plusieurs élèves arrivent en classe drogués au tramadol", "consommation"),
        ("Fuite des sujets: un surveillant vend les épreuves du bac", "hors_competence"),
        ("groupe jihadiste dɔ bɛ wari ta cocaine camionw fɛ", "trafic"),
        ("un homme vend des boules de chanvre aux élèves", "vente"),  # retail balls
        ("il vend du tramadol aux enfants sous le hangar des pinasses", "vente"),
        ("sans travail il roule en V8 et a acheté 5 parcelles, il vend la cocaïne", "blanchiment"),
        ("un Nigérian passe de la meth par l'aéroport tous les mois", "trafic"),
        ("il blanchit l'argent de la drogue", "blanchiment"),
        ("il a construit trois villas avec l'argent du yamba", "blanchiment"),
        ("un dealer vend du kush", "vente"),
        ("un fumoir où on trouve du yamba", "vente"),
        ("les élèves achètent du diazépam chez une dame", "vente"),
        ("la pharmacie vend le tramadol sans ordonnance", "vente"),
        ("il y a du yamba à Banconi", "vente"),  # available at a place
        ("mon frère fume le yamba à la maison", "consommation"),
        ("les jeunes sniffent de la colle", "consommation"),
        ("10 kilos d'un produit blanc inconnu cachés dans des bidons d'huile", "trafic"),
        ("mon fils boit du lean, je ne sais pas où il l'achète", "consommation"),
        ("mon voisin ne vend pas la drogue, il la fume", "consommation"),
        ("un commerçant finance les trafiquants de drogue", "blanchiment"),
        ("les jihadistes contrôlent la route de la cocaïne", "trafic"),
        ("ils font entrer le tramadol depuis la Guinée", "trafic"),
        ("A bus carries heroin to Bamako", "trafic"),
        ("Tonight a car full of cocaine will leave Gao", "trafic"),
        ("les motos de yamba partent de Kati chaque nuit", "trafic"),
        ("sini mobili bɛ yamba bɔrɔ tan ta Kolondieba", "trafic"),
        ("un labo de crystal utilise des bidons d'acide", "production"),  # containers, no stock
        ("un conteneur de tramadol 225 est arrivé au port sec", "trafic"),
        ("il fait venir le tramadol du Burkina par le car", "trafic"),
        # What is moved or deposited is the money when the drug names only its source.
        ("il transporte une valise de cash, c'est l'argent de la drogue", "blanchiment"),
        ("un client dépose des sacs de billets, c'est l'argent de la drogue", "blanchiment"),
        ("il paie ses employés avec l'argent du tramadol qu'il vend en gros", "trafic"),
        ("he launders drug money, he bought land and cars with cocaine money", "blanchiment"),
        ("bar do be alcool frelate feere mogow be bana", "hors_competence"),  # bana: ill
        # Bought or fetched abroad and sold here: an import. Named as an origin only, a sale.
        ("il achète le cannabis au Burkina et le revend ici", "trafic"),
        ("il va chercher le tramadol au Nigeria pour le vendre au marché", "trafic"),
        ("ils cultivent le chanvre et les commerçants l'emmènent au Burkina", "trafic"),  # export
        ("ils envoient le tramadol en Guinée", "trafic"),
        ("le tramadol du Nigeria est vendu au marché", "vente"),
        ("demain livraison de tramadol au marché", "trafic"),
        ("le dealer fait la livraison de joints à domicile", "vente"),  # a dealer's delivery
        ("il a semé du yamba dans son jardin", "production"),
        ("il achète des produits chimiques pour faire de la drogue", "production"),
        ("le dealer roule en V8 et construit un immeuble, ça vient du yamba", "blanchiment"),
        ("les jeunes boivent du sirop de codéine", "consommation"),
        ("les apprentis croquent le tramadol", "consommation"),
        ("vendredi dernier des hommes ont bu du tramadol dans le thé", "consommation"),
        ("dans 2 semaines une caravane de cocaine doit traverser le désert", "trafic"),
        ("cette nuit des voleurs vont cambrioler la boutique de mon voisin", "hors_competence"),
        ("des gamins respirent de la colle", "consommation"),
        ("il vend pa la drogue, il fume seulement le yamba", "consommation"),  # SMS "pa"
        ("il ne fume pas le yamba, il le vend", "vente"),  # the verb is denied, not the drug
        # A negated belief denies the clause it governs; the clause after it still counts.
        ("ils fument du yamba au grin mais je ne pense pas qu'ils vendent", "consommation"),
        ("je ne sais pas s'ils vendent mais ils fument le yamba au grin", "consommation"),
        ("je ne crois pas que la police le sait, mais il vend le tramadol", "vente"),
        ("There is a crack house, kids go there to smoke", "vente"),
        ("il blanchit l argent du trafic dans une station essence", "blanchiment"),
        # Vehicles bought with drug money are wealth, not loads.
        ("il achète des camions et des maisons avec l'argent de la drogue", "blanchiment"),
        ("il vit de l argent du trafic de cocaine", "blanchiment"),
        (
            "il m'a demandé de garder 8 millions en liquide et de les déposer petit à petit "
            "sur mon compte, c'est un vendeur de yamba",
            "blanchiment",
        ),
        (
            "elle ouvre boutique sur boutique avec l'argent de son mari qui vend la cocaine",
            "blanchiment",
        ),
        ("il y a un trafic de drogue au quartier", "trafic"),
        # The money of the drug, moved, changed, hidden or lent an account for, is laundering.
        (
            "l'agent orange money reçoit des millions chaque jour pour les vendeurs de yamba",
            "blanchiment",
        ),
        (
            "des transferts de plusieurs millions partent vers la Guinée pour payer la cocaine",
            "blanchiment",
        ),
        (
            "un groupe prélève de l'argent sur les vendeurs de tramadol et achète du bétail avec",
            "blanchiment",
        ),
        (
            "on a proposé à mon frère de prêter son compte orange money à des vendeurs de drogue",
            "blanchiment",
        ),
        (
            "un gars change l'argent des vendeurs de kush en cartes de recharge et en or",
            "blanchiment",
        ),
        (
            "le boss du yamba a mis ses terrains au nom de sa femme pour cacher l'argent",
            "blanchiment",
        ),
        (
            "il dépose des sacs d'argent liquide venant de la vente de cocaïne dans une banque",
            "blanchiment",
        ),
        (
            "des vendeurs de drogue ont proposé d'acheter ses camions cash avec leur argent",
            "blanchiment",
        ),
        (
            "le commerçant va recevoir 30 millions des vendeurs de drogue pour acheter des boeufs",
            "blanchiment",
        ),
        ("son mari dépense tout l'argent de la famille en tramadol", "consommation"),
        ("le dépôt de pharmacie de la gare vend le tramadol à l'unité", "vente"),
        ("le préfet reçoit des enveloppes des transporteurs de tramadol", "trafic"),
        ("il a acheté 10 camions en 6 mois, l'argent vient de la drogue", "blanchiment"),
        (
            "il a acheté 15 bus neufs, c'est payé avec l'argent de la cocaïne. Les bus ne "
            "transportent que des passagers.",
            "blanchiment",
        ),
        (
            "un acheteur d'or paie les orpailleurs avec des liasses qui viennent de la cocaïne",
            "blanchiment",
        ),
        (
            "le kiosque Wave fait des retraits de 10 millions par jour pour un vendeur de drogue",
            "blanchiment",
        ),
        (
            "il a acheté 6 appartements en payant en espèces, c'est lui qui vend le tramadol",
            "blanchiment",
        ),
        (
            "elle reçoit des dizaines de petits transferts pour son frère qui vend la chira",
            "blanchiment",
        ),
        ("sisan u bɛ wari caaman jate so kɔnɔ Banconi, coke wari don", "blanchiment"),
        (
            "l argent de la coke part de Sikasso vers Bamako dans des cars, caché dans des sacs de "
            "voyage",
            "blanchiment",
        ),
        ("son mari dépense toute sa pension en tramadol", "consommation"),
        (
            "cocaine dans la cache du reservoir d une Mercedes qui entre a Bamako cette nuit",
            "trafic",
        ),
        (
            "des gens remplissent des gélules avec de la farine et collent des étiquettes, ce sont "
            "de faux médicaments qu'ils vendent",
            "production",
        ),
        (
            "un bureau de change change des sacs d'euros qui viennent de la vente de cocaïne",
            "blanchiment",
        ),
        ("Passenger landing at the airport at 22h swallowed pellets", "trafic"),
        # Bambara: buying, taking pills, making pills, swallowed pellets, a sale denied.
        ("denmisɛnw bɛ tramadol san muso dɔ fɛ lakɔli da la", "vente"),
        ("lakolidenw be tramadol ta sogoma o sogoma", "consommation"),
        ("u bè tramadol furakisèw dilan so do kònò Markala", "production"),
        ("a ye cocaïne boulettew kunu, a bɛna jigin aéroport la", "trafic"),
        ("n dɔgɔcɛ tɛ yamba feere dɛ, a bɛ a min dɔrɔn Kati la", "consommation"),
        ("OCS baarakɛla dɔ bɛ kunnafoni di trafiquantw ma", "trafic"),
        # Bambara "ne" is "I", not a negation without its partner ("pas", "que"…).
        ("ne dɔgɔcɛ bɛ yamba min kabini san fila, aw ye a dɛmɛ", "consommation"),
        ("il ne vend que du yamba à Banconi", "vente"),
        ("Sini kɔnyɔ bɛ Ouolofobougou, kamalenw bɛna chicha min yen", "consommation"),
        ("un kiosque de transfert d'argent vend aussi des sachets d'héroïne", "vente"),
        ("A 21h un gars en moto va livrer du kush a des clients devant la boulangerie", "vente"),
        ("A San un camion de cannabis est garé devant l'auto-gare depuis 2 jours", "trafic"),
        (
            "des écoliers sniffent de la colle dans les camions garés au bord de la route",
            "consommation",
        ),
        # A household's goods sold, a seller's wheelbarrow, basket or satchel, a bus terminus:
        # no drug sold, no load.
        (
            "son fils fume du crack, il a vendu la télévision et le frigo, il ne vend pas de "
            "drogue",
            "consommation",
        ),
        (
            "un vendeur de médicaments par terre passe avec une brouette pleine de plaquettes",
            "vente",
        ),
        (
            "la vendeuse de galettes au terminus des Sotrama vend du tramadol, elle cache les "
            "plaquettes dans son panier",
            "vente",
        ),
        (
            "des vendeurs viennent à moto chaque dimanche avec leurs plaquettes de tramadol dans "
            "une sacoche",
            "vente",
        ),
        # Drugs made in a shed: the shed is the lab's room. Crack cooked is made.
        ("dans le hangar des hommes font des comprimés avec une machine", "production"),
        (
            "des hommes chauffent de la cocaïne en poudre avec du bicarbonate pour le crack",
            "production",
        ),
        # Not knowing who sells denies no sale is seen.
        (
            "les jeunes fument de l'herbe sous le hangar du marché, il ne sait pas qui leur vend",
            "consommation",
        ),
        ("des chauffeurs avalent du tramadol, je n'ai pas vu qui leur vend", "consommation"),
        ("les douaniers laissent passer le tramadol contre de l'argent", "trafic"),
    ],
)
def test_each_activity_is_recognised(triage: Triage, text: str, category: str) -> None:
    assert triage(text).category == category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("un dealer de Bamako transporte des sacs de kush", "trafic"),  # trafic > vente
        ("un labo fabrique le crystal et le vend", "production"),  # production > vente
        ("il vend du yamba et il a construit des immeubles", "blanchiment"),
        ("ils fument et vendent du kush", "vente"),  # vente > consommation
        ("un réseau vend de la méthamphétamine", "vente"),  # a network alone is not trafic
        ("yamba caaman bɛ feere", "vente"),  # "caaman" alone is not bulk
        ("il vend beaucoup de yamba", "vente"),
        ("il vend le yamba, ses clients payent par orange money sur son compte", "vente"),
        ("il vend pour 2 millions de FCFA de cocaine par semaine", "vente"),
    ],
)
def test_the_higher_activity_wins(triage: Triage, text: str, category: str) -> None:
    assert triage(text).category == category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("bonjour", "non_exploitable"),
        ("Test test 123", "non_exploitable"),
        ("Merci pour votre travail", "non_exploitable"),
        ("vous êtes des incapables", "non_exploitable"),
        ("c'est quoi ce numéro ?", "non_exploitable"),
        ("yamba", "non_exploitable"),  # a lone word
        ("Est-ce que le tramadol est interdit ?", "non_exploitable"),
        ("Je veux signaler un vol de moto à Ségou", "hors_competence"),
        ("les voleurs de moto de Faladié", "hors_competence"),
        ("mon voisin frappe sa femme", "hors_competence"),
        ("des contrebandiers passent des cigarettes", "hors_competence"),
        ("ils vendent de l'alcool frelaté", "hors_competence"),
        ("ils vendent du koutoukou frelaté, des gens sont malades", "hors_competence"),
        ("des orpailleurs utilisent du cyanure et du mercure", "hors_competence"),
        ("mon mari me bat chaque nuit", "hors_competence"),
        ("pas de drogue dans le quartier, mais mon voisin a volé ma moto", "hors_competence"),
        ("un accident de camion à Kita", "hors_competence"),
        ("des hommes armés ont attaqué le village", "hors_competence"),
    ],
)
def test_no_drug_means_hors_competence_or_nothing_to_act_on(
    triage: Triage, text: str, category: str
) -> None:
    decision = triage(text)
    assert decision.category == category
    assert (decision.priority, decision.antenna) == ("P4", "DG")


def test_non_drug_cues_do_not_show_in_a_drug_decision(triage: Triage) -> None:
    decision = triage("Bonsoir, un passager du vol d'Addis a avalé des boulettes de cocaïne")
    assert decision.category == "trafic"
    assert not [rule for rule in decision.rules if rule.startswith(("cat.hors", "cat.non_"))]


@pytest.mark.parametrize(
    ("text", "substances"),
    [
        ("yamba jouin chanvre indien herbe kush skunk marijuana joint résine haschich chira weed",
         ("cannabis",)),
        ("cocaïne coke crack", ("cocaine",)),
        ("HEROINE", ("heroine",)),
        ("méthamphétamine meth crystal", ("methamphetamine",)),
        ("tramadol 200 tramol tramal", ("tramadol",)),
        ("diazépam valium rivotril", ("psychotropes",)),
        ("faux médicaments, médicaments de la rue, pharmacie par terre",
         ("medicaments_contrefaits",)),
        ("éphédrine", ("precurseurs",)),
        ("chicha narguilé", ("chicha",)),
        ("de la drogue et des stupéfiants", ()),
        ("des comprimés sans nom", ()),
        ("ils sniffent de la colle", ()),
        ("yamba et coke et tramadol", ("cannabis", "cocaine", "tramadol")),
        ("la gandja", ("cannabis",)),
        ("du yamba, pas de coke", ("cannabis",)),  # a drug said to be absent is not named
        ("du yamba pas cher", ("cannabis",)),  # "pas" after it denies the price
        ("des faux cachets de tramadol", ("medicaments_contrefaits", "tramadol")),
        ("fura be feere par terre sugu kono", ("medicaments_contrefaits",)),
        ("des psychotropes comme le tramadol sont vendus au kiosque", ("tramadol",)),
        ("des jeunes sniffent de la colle, l'un d'eux est couché", ()),  # couché is no drug
        ("labo de crystal, on sent une odeur de produit chimique", ("methamphetamine",)),
        ("des membres de Ganda Koy vendent du tramadol", ("tramadol",)),  # Ganda is no ganja
        ("du jamba", ("cannabis",)),  # djamba as it is often spelt in Bambara
    ],
)  # fmt: skip
def test_substances_are_named_by_their_words(
    triage: Triage, text: str, substances: tuple[str, ...]
) -> None:
    assert triage(f"il vend {text}").substances == substances


def test_acids_are_precursors_only_for_making_drugs(triage: Triage) -> None:
    assert "precurseurs" in triage("des bidons d'acide pour fabriquer de la drogue").substances
    assert "precurseurs" not in triage("il vend de l'acide et du yamba").substances


def test_the_words_that_fired_are_quoted_as_written(triage: Triage) -> None:
    decision = triage("Gros stock de COKE a Bamako")
    words = {hit.rule: hit.words for hit in decision.hits}
    assert words["cat.trafic.bulk"] == ("Gros stock",)
    assert words["sub.cocaine"] == ("COKE",)
    assert words["place.text"] == ("Bamako",)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # Swallowing pills is taking them; swallowing pellets is carrying them.
        ("son fils avale des comprimés de tramadol avec du café", "consommation"),
        ("le passager a avalé des boulettes de cocaïne avant le vol", "trafic"),
        # A shed where people only smoke stores nothing.
        ("les orpailleurs fument le yamba tous les soirs dans les hangars", "consommation"),
        # A shop by the roadside sells; a road is not a route.
        ("une boutique au bord de la route vend du tramadol aux camionneurs", "vente"),
        ("la route du yamba passe par Zégoua", "trafic"),
        # Bringing customers to a dealer is no load.
        ("le vendeur de coke me paie quand je lui ramène des clients", "vente"),
        # What "on trouve" finds must be the drug.
        ("il s'injecte de l'héroïne, on trouve ses seringues dans la rue", "consommation"),
        ("on trouve facilement la drogue à Banconi", "vente"),
        # A maquis is a bar: people smoking there are users.
        ("les jeunes de Zégoua fument le yamba chaque soir au maquis", "consommation"),
        # Behind the pinasses is a landmark, not a load.
        ("yamba bɛ feere Mopti port la sini, kɔfɛ pinasses", "vente"),
        ("des jardins de yamba au milieu du mil à Koro", "production"),
        (
            "ils plantent du cannabis, après la récolte ils font sécher les plants sur les toits "
            "des greniers",
            "production",
        ),
        # A cough syrup taken to get high is an unlisted drug; a habit of the drug named is use.
        (
            "les gars du grin mélangent le sirop contre la toux avec du sprite pour se défoncer",
            "consommation",
        ),
        (
            "mon frère est tombé dans le tramadol, il en prend 4 par jour, koi faire?",
            "consommation",
        ),
        # Morphine is an unlisted drug: a drug matter with no substance.
        ("un infirmier revend la morphine de l hôpital", "vente"),
    ],
)
def test_a_word_means_what_its_neighbours_say(triage: Triage, text: str, category: str) -> None:
    assert triage(text).category == category


@pytest.mark.parametrize(
    "text",
    [
        "des passeurs font traverser le désert aux migrants vers l'Algérie",
        "des trafiquants stockent des cartons de cigarettes et des bidons d'essence",
        "des inconnus ont cassé les cadenas de plusieurs boutiques du Grand Marché",
        "le patron d'une boîte de nuit fait travailler des serveuses sans les payer",
        "ya des gars ki vendent des faux tickets pour le concert",
        "le boutiquier prête de l'argent aux femmes du marché avec 20% d'intérêt par mois",
        "des motos chargées de bidons d'essence du Burkina passent à Koury la nuit",
        "les policiers du poste prennent 2000 F à chaque chauffeur de taxi brousse",
        "le maire a vendu la même parcelle à trois familles et refuse de rembourser",
        "on a volé ma moto hier soir, c'est grave",  # told outside the opinion
        "kunun sogoma, u ye n ka moto sonya Faladié sugu la",
        "kasara kɛra Ségou sira kan, mobili ye moto bugɔ",
        "Someone stole my phone at the bus station in Kayes yesterday",
        "un client a amené une moto sans papiers pour changer le joint, je pense qu'elle est volée",
        "pendant que mes moutons mangeaient l'herbe au bord de la mare des voleurs ont pris 12 "
        "têtes",
        "la pinasse a chaviré près de Youwarou, il y a des disparus",
    ],
)
def test_offences_and_accidents_with_no_drug_are_outside_the_remit(
    triage: Triage, text: str
) -> None:
    decision = triage(text)
    assert (decision.category, decision.substances) == ("hors_competence", ())
