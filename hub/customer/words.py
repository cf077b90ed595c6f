"""What the tracking page says, in each language it speaks: a small dictionary per language, keyed by the English
text. Dates and times are Babel's (hub/customer/clock.py); only sentences live here.

A key missing in a language falls back to English, so a new sentence never breaks a page; the test
tests/customer/test_tracking_words.py holds every language to the English key set.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("en", "de", "fr", "es")
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}
# The language a delivery's country speaks, when the page speaks it (the canonical delivery has no locale).
COUNTRY_LANGUAGE = {
    "DE": "de", "AT": "de", "CH": "de", "LI": "de", "LU": "fr", "FR": "fr", "BE": "fr", "MC": "fr",
    "ES": "es", "MX": "es", "AR": "es", "CO": "es", "CL": "es", "PE": "es", "UY": "es", "VE": "es",
    "GB": "en", "IE": "en", "US": "en", "CA": "en", "AU": "en", "NZ": "en",
}

DE: dict[str, str] = {
    "Track your delivery": "Ihre Sendung verfolgen",
    "Order received": "Bestellung eingegangen",
    "We are preparing your delivery": "Wir bereiten Ihre Lieferung vor",
    "Delivery scheduled": "Lieferung eingeplant",
    "With the driver": "Beim Fahrer",
    "On the way": "Unterwegs",
    "Arriving soon": "Gleich bei Ihnen",
    "Delivered": "Zugestellt",
    "Delivery attempt failed": "Zustellversuch fehlgeschlagen",
    "New delivery planned": "Neue Zustellung geplant",
    "Returned to sender": "An den Absender zurück",
    "Cancelled": "Storniert",
    "Status": "Status",
    "History": "Verlauf",
    "Promised window": "Zugesagtes Zeitfenster",
    "Estimated arrival": "Voraussichtliche Ankunft",
    "Your stop is next": "Sie sind der nächste Halt",
    "1 stop before you": "1 Halt vor Ihnen",
    "{n} stops before you": "{n} Halte vor Ihnen",
    "Your driver": "Ihr Fahrer",
    "Vehicle": "Fahrzeug",
    "Map": "Karte",
    "Map with the driver's position, the way to you and your address": "Karte mit der Position des Fahrers, dem Weg zu Ihnen und Ihrer Adresse",
    "Map with your address": "Karte mit Ihrer Adresse",
    "The driver's position shows here when you are one of the next {n} stops.": "Die Position des Fahrers erscheint hier, sobald Sie einer der nächsten {n} Halte sind.",
    "Proof of delivery": "Zustellnachweis",
    "Delivered at {time}": "Zugestellt um {time}",
    "Received by {name}": "Entgegengenommen von {name}",
    "Photo of the delivered parcel": "Foto der zugestellten Sendung",
    "Signature of the recipient": "Unterschrift des Empfängers",
    "How was your delivery?": "Wie war Ihre Lieferung?",
    "Your rating": "Ihre Bewertung",
    "1 – very poor": "1 – sehr schlecht",
    "2 – poor": "2 – schlecht",
    "3 – okay": "3 – in Ordnung",
    "4 – good": "4 – gut",
    "5 – excellent": "5 – ausgezeichnet",
    "Comment (optional)": "Kommentar (optional)",
    "Send rating": "Bewertung senden",
    "Thank you for your rating.": "Vielen Dank für Ihre Bewertung.",
    "You rated this delivery {n} of 5.": "Sie haben diese Lieferung mit {n} von 5 bewertet.",
    "The form expired. Please send your rating again.": "Das Formular ist abgelaufen. Bitte senden Sie Ihre Bewertung erneut.",
    "Please choose a rating from 1 to 5.": "Bitte wählen Sie eine Bewertung von 1 bis 5.",
    "Ratings open once the parcel is delivered.": "Bewertungen sind nach der Zustellung möglich.",
    "We could not deliver your parcel": "Wir konnten Ihre Sendung nicht zustellen",
    "Choose what happens next": "Wählen Sie, wie es weitergeht",
    "Nobody was there to take the delivery.": "Es war niemand da, um die Sendung anzunehmen.",
    "The driver could not find the address.": "Der Fahrer konnte die Adresse nicht finden.",
    "The driver could not get in.": "Der Fahrer kam nicht ins Gebäude.",
    "The delivery was refused.": "Die Annahme wurde verweigert.",
    "The goods were damaged.": "Die Ware war beschädigt.",
    "The driver could not complete the delivery.": "Der Fahrer konnte die Zustellung nicht abschließen.",
    "This tracking link has expired": "Dieser Sendungslink ist abgelaufen",
    "For your privacy, tracking links stop working a while after the delivery ends.": "Zum Schutz Ihrer Daten funktionieren Sendungslinks nach Abschluss der Lieferung nur noch eine Weile.",
    "Tracking link not found": "Sendungslink nicht gefunden",
    "Please check the link in your message.": "Bitte prüfen Sie den Link in Ihrer Nachricht.",
    "Questions? Contact {brand}: {contact}": "Fragen? Kontakt zu {brand}: {contact}",
    "This page updates by itself.": "Diese Seite aktualisiert sich selbst.",
    "Language": "Sprache",
    "Delivery by {brand}": "Lieferung durch {brand}",
    "Logo of {brand}": "Logo von {brand}",
    # The unsubscribe page of customer emails (hub/customer/unsubscribe.py).
    "Link not valid": "Link ungültig",
    "Subscribed again": "Wieder angemeldet",
    "Unsubscribed": "Abgemeldet",
    "This link is not valid": "Dieser Link ist ungültig",
    "It may have been copied incompletely. Use the link in the email exactly as it is.": "Vielleicht wurde er unvollständig kopiert. Verwenden Sie den Link aus der E-Mail genau so, wie er ist.",
    "You are subscribed again": "Sie sind wieder angemeldet",
    "{address} will get emails about deliveries from {sender} again.": "{address} erhält wieder E-Mails zu Lieferungen von {sender}.",
    "You are unsubscribed": "Sie sind abgemeldet",
    "{address} will get no more emails about deliveries from {sender}.": "{address} erhält keine E-Mails zu Lieferungen von {sender} mehr.",
    "Clicked by mistake?": "Versehentlich geklickt?",
    "Subscribe again": "Wieder anmelden",
}

FR: dict[str, str] = {
    "Track your delivery": "Suivre votre livraison",
    "Order received": "Commande reçue",
    "We are preparing your delivery": "Nous préparons votre livraison",
    "Delivery scheduled": "Livraison planifiée",
    "With the driver": "Chez le livreur",
    "On the way": "En route",
    "Arriving soon": "Arrive bientôt",
    "Delivered": "Livré",
    "Delivery attempt failed": "Tentative de livraison échouée",
    "New delivery planned": "Nouvelle livraison prévue",
    "Returned to sender": "Retourné à l'expéditeur",
    "Cancelled": "Annulée",
    "Status": "Statut",
    "History": "Historique",
    "Promised window": "Créneau promis",
    "Estimated arrival": "Arrivée estimée",
    "Your stop is next": "Vous êtes le prochain arrêt",
    "1 stop before you": "1 arrêt avant vous",
    "{n} stops before you": "{n} arrêts avant vous",
    "Your driver": "Votre livreur",
    "Vehicle": "Véhicule",
    "Map": "Carte",
    "Map with the driver's position, the way to you and your address": "Carte avec la position du livreur, le trajet jusqu'à vous et votre adresse",
    "Map with your address": "Carte avec votre adresse",
    "The driver's position shows here when you are one of the next {n} stops.": "La position du livreur s'affiche ici lorsque vous faites partie des {n} prochains arrêts.",
    "Proof of delivery": "Preuve de livraison",
    "Delivered at {time}": "Livré à {time}",
    "Received by {name}": "Reçu par {name}",
    "Photo of the delivered parcel": "Photo du colis livré",
    "Signature of the recipient": "Signature du destinataire",
    "How was your delivery?": "Comment s'est passée votre livraison ?",
    "Your rating": "Votre note",
    "1 – very poor": "1 – très mauvais",
    "2 – poor": "2 – mauvais",
    "3 – okay": "3 – correct",
    "4 – good": "4 – bien",
    "5 – excellent": "5 – excellent",
    "Comment (optional)": "Commentaire (facultatif)",
    "Send rating": "Envoyer la note",
    "Thank you for your rating.": "Merci pour votre note.",
    "You rated this delivery {n} of 5.": "Vous avez noté cette livraison {n} sur 5.",
    "The form expired. Please send your rating again.": "Le formulaire a expiré. Veuillez renvoyer votre note.",
    "Please choose a rating from 1 to 5.": "Veuillez choisir une note de 1 à 5.",
    "Ratings open once the parcel is delivered.": "La notation est possible une fois le colis livré.",
    "We could not deliver your parcel": "Nous n'avons pas pu livrer votre colis",
    "Choose what happens next": "Choisissez la suite",
    "Nobody was there to take the delivery.": "Personne n'était présent pour recevoir la livraison.",
    "The driver could not find the address.": "Le livreur n'a pas trouvé l'adresse.",
    "The driver could not get in.": "Le livreur n'a pas pu entrer.",
    "The delivery was refused.": "La livraison a été refusée.",
    "The goods were damaged.": "La marchandise était endommagée.",
    "The driver could not complete the delivery.": "Le livreur n'a pas pu terminer la livraison.",
    "This tracking link has expired": "Ce lien de suivi a expiré",
    "For your privacy, tracking links stop working a while after the delivery ends.": "Pour protéger votre vie privée, les liens de suivi cessent de fonctionner quelque temps après la livraison.",
    "Tracking link not found": "Lien de suivi introuvable",
    "Please check the link in your message.": "Veuillez vérifier le lien de votre message.",
    "Questions? Contact {brand}: {contact}": "Des questions ? Contactez {brand} : {contact}",
    "This page updates by itself.": "Cette page se met à jour toute seule.",
    "Language": "Langue",
    "Delivery by {brand}": "Livraison par {brand}",
    "Logo of {brand}": "Logo de {brand}",
    # The unsubscribe page of customer emails (hub/customer/unsubscribe.py).
    "Link not valid": "Lien non valide",
    "Subscribed again": "Réinscrit",
    "Unsubscribed": "Désinscrit",
    "This link is not valid": "Ce lien n'est pas valide",
    "It may have been copied incompletely. Use the link in the email exactly as it is.": "Il a peut-être été copié de façon incomplète. Utilisez le lien de l'e-mail tel quel.",
    "You are subscribed again": "Vous êtes de nouveau inscrit",
    "{address} will get emails about deliveries from {sender} again.": "{address} recevra de nouveau les e-mails de {sender} sur ses livraisons.",
    "You are unsubscribed": "Vous êtes désinscrit",
    "{address} will get no more emails about deliveries from {sender}.": "{address} ne recevra plus d'e-mails de {sender} sur ses livraisons.",
    "Clicked by mistake?": "Cliqué par erreur ?",
    "Subscribe again": "Se réinscrire",
}

ES: dict[str, str] = {
    "Track your delivery": "Sigue tu entrega",
    "Order received": "Pedido recibido",
    "We are preparing your delivery": "Estamos preparando tu entrega",
    "Delivery scheduled": "Entrega programada",
    "With the driver": "Con el repartidor",
    "On the way": "En camino",
    "Arriving soon": "Llega pronto",
    "Delivered": "Entregado",
    "Delivery attempt failed": "Intento de entrega fallido",
    "New delivery planned": "Nueva entrega prevista",
    "Returned to sender": "Devuelto al remitente",
    "Cancelled": "Cancelado",
    "Status": "Estado",
    "History": "Historial",
    "Promised window": "Franja prometida",
    "Estimated arrival": "Llegada estimada",
    "Your stop is next": "Tu parada es la siguiente",
    "1 stop before you": "1 parada antes de la tuya",
    "{n} stops before you": "{n} paradas antes de la tuya",
    "Your driver": "Tu repartidor",
    "Vehicle": "Vehículo",
    "Map": "Mapa",
    "Map with the driver's position, the way to you and your address": "Mapa con la posición del repartidor, el camino hasta ti y tu dirección",
    "Map with your address": "Mapa con tu dirección",
    "The driver's position shows here when you are one of the next {n} stops.": "La posición del repartidor aparece aquí cuando seas una de las próximas {n} paradas.",
    "Proof of delivery": "Prueba de entrega",
    "Delivered at {time}": "Entregado a las {time}",
    "Received by {name}": "Recibido por {name}",
    "Photo of the delivered parcel": "Foto del paquete entregado",
    "Signature of the recipient": "Firma del destinatario",
    "How was your delivery?": "¿Qué tal fue tu entrega?",
    "Your rating": "Tu valoración",
    "1 – very poor": "1 – muy mala",
    "2 – poor": "2 – mala",
    "3 – okay": "3 – normal",
    "4 – good": "4 – buena",
    "5 – excellent": "5 – excelente",
    "Comment (optional)": "Comentario (opcional)",
    "Send rating": "Enviar valoración",
    "Thank you for your rating.": "Gracias por tu valoración.",
    "You rated this delivery {n} of 5.": "Valoraste esta entrega con {n} de 5.",
    "The form expired. Please send your rating again.": "El formulario caducó. Envía tu valoración de nuevo.",
    "Please choose a rating from 1 to 5.": "Elige una valoración de 1 a 5.",
    "Ratings open once the parcel is delivered.": "Podrás valorar cuando el paquete esté entregado.",
    "We could not deliver your parcel": "No pudimos entregar tu paquete",
    "Choose what happens next": "Elige qué pasa ahora",
    "Nobody was there to take the delivery.": "No había nadie para recibir la entrega.",
    "The driver could not find the address.": "El repartidor no encontró la dirección.",
    "The driver could not get in.": "El repartidor no pudo entrar.",
    "The delivery was refused.": "La entrega fue rechazada.",
    "The goods were damaged.": "La mercancía estaba dañada.",
    "The driver could not complete the delivery.": "El repartidor no pudo completar la entrega.",
    "This tracking link has expired": "Este enlace de seguimiento ha caducado",
    "For your privacy, tracking links stop working a while after the delivery ends.": "Por tu privacidad, los enlaces de seguimiento dejan de funcionar un tiempo después de la entrega.",
    "Tracking link not found": "Enlace de seguimiento no encontrado",
    "Please check the link in your message.": "Comprueba el enlace de tu mensaje.",
    "Questions? Contact {brand}: {contact}": "¿Preguntas? Contacta con {brand}: {contact}",
    "This page updates by itself.": "Esta página se actualiza sola.",
    "Language": "Idioma",
    "Delivery by {brand}": "Entrega de {brand}",
    "Logo of {brand}": "Logotipo de {brand}",
    # The unsubscribe page of customer emails (hub/customer/unsubscribe.py).
    "Link not valid": "Enlace no válido",
    "Subscribed again": "Suscrito de nuevo",
    "Unsubscribed": "Baja confirmada",
    "This link is not valid": "Este enlace no es válido",
    "It may have been copied incompletely. Use the link in the email exactly as it is.": "Puede que se haya copiado de forma incompleta. Usa el enlace del correo tal como está.",
    "You are subscribed again": "Vuelves a estar suscrito",
    "{address} will get emails about deliveries from {sender} again.": "{address} volverá a recibir correos de {sender} sobre sus entregas.",
    "You are unsubscribed": "Te has dado de baja",
    "{address} will get no more emails about deliveries from {sender}.": "{address} ya no recibirá correos de {sender} sobre sus entregas.",
    "Clicked by mistake?": "¿Has hecho clic por error?",
    "Subscribe again": "Volver a suscribirme",
}

CATALOGUES: dict[str, dict[str, str]] = {"en": {}, "de": DE, "fr": FR, "es": ES}
ENGLISH_KEYS = frozenset(DE)  # the German catalogue is kept complete; the test compares the others to it


def say(lang: str, text: str, **values: Any) -> str:
    """`text` in `lang` (English when the catalogue lacks it), with {placeholders} filled in."""
    out = CATALOGUES.get(lang, {}).get(text, text)
    return out.format(**values) if values else out


def pick_language(requested: str | None, country: str | None, accept_language: Any) -> str:
    """?lang= first (the page's own language links), then the delivery's country, then the browser's
    Accept-Language (werkzeug's LanguageAccept), then English."""
    if requested in LANGUAGES:
        return requested  # type: ignore[return-value]
    by_country = COUNTRY_LANGUAGE.get((country or "").upper())
    if by_country:
        return by_country
    best = accept_language.best_match(LANGUAGES) if accept_language is not None else None
    if best:
        return str(best)
    for value, _quality in (accept_language or []):  # "de-AT" matches "de"
        primary = str(value).split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return "en"
